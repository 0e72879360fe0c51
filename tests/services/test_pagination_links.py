"""Page.links: the pager's numbers, computed without walking every page."""
import pytest

from community.services.forum import Page


def _walked(page: Page) -> list[int | None]:
    # What the pager template did before: look at every page number in turn.
    shown: list[int | None] = []
    for n in range(1, page.pages + 1):
        if n <= 2 or n > page.pages - 2 or abs(n - page.number) <= 2:
            shown.append(n)
        elif n in (3, page.pages - 2):
            shown.append(None)
    return shown


@pytest.mark.parametrize("total", [0, 1, 29, 30, 31, 150, 181, 20_066])
def test_links_match_a_walk_over_every_page(total):
    pages = Page([], 1, 30, total).pages
    for number in {1, 2, 3, 4, 5, pages // 2, pages - 3, pages - 2, pages - 1, pages}:
        if number >= 1:
            page = Page([], number, 30, total)
            assert page.links == _walked(page), (total, number)


def test_a_deep_page_shows_the_ends_its_neighbours_and_two_gaps():
    assert Page([], 500, 30, 20_066).links == [1, 2, None, 498, 499, 500, 501, 502, None, 668, 669]
