"""The twcs.csv loader and its quirks, then the fake X serving the real sample to the client."""
from __future__ import annotations

import pytest

from community.bridge.fake_x.twcs import load_rows
from community.bridge.twcs import parse_twcs, read_twcs, user_id_for

from ..conftest import shared_data
from .conftest import make_client
from .http import call

QUIRKS = (
    ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    "0,1,acmehelp,False,Tue Oct 31 22:10:47 +0000 2017,@115712 DM us please,2,3.0\n"
    '1,3,115712,True,Tue Oct 31 22:08:27 +0000 2017,@acmehelp broken again,"1,4",\n'
    "2,5,115712,True,Tue Oct 31 18:13:06 +0000 2017,@acmehelp \r\rsee this,,\n"
    "3,1234567890123456789,115712,True,Tue Oct 31 18:14:06 +0000 2017,@acmehelp big id,,1234567890123456788.0\n"
)


@pytest.fixture(scope="module")
def sample_rows():
    return read_twcs(shared_data("tweets/twcs_sample.csv"))


def test_quirks_on_a_small_file():
    rows = {row.tweet_id: row for row in parse_twcs(QUIRKS)}
    assert list(rows) == ["1", "3", "5", "1234567890123456789"]  # the index column is not an id
    assert rows["1"].in_response_to == "3" and rows["1"].response_tweet_ids == ("2",)
    assert rows["3"].response_tweet_ids == ("1", "4") and rows["3"].in_response_to is None
    assert rows["5"].text == "@acmehelp \n\nsee this"  # raw CRs stayed inside the field
    assert rows["1234567890123456789"].in_response_to == "1234567890123456788"  # no float rounding
    assert rows["1"].created_at.isoformat() == "2017-10-31T22:10:47+00:00" and not rows["1"].inbound


def test_a_row_with_missing_fields_is_refused():
    with pytest.raises(ValueError, match="line 2"):
        parse_twcs(",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n0,1,x\n")


def test_real_sample(sample_rows):
    assert len(sample_rows) == 5000  # the carriage return in 3399 did not split its row
    assert sum(row.inbound for row in sample_rows) == 2778
    tweet = next(row for row in sample_rows if row.tweet_id == "3399")
    assert tweet.author == "116510" and "I just love the start of email" in tweet.text
    assert tweet.response_tweet_ids == ("3398",)
    assert all(row.tweet_id.isdigit() for row in sample_rows)


def test_fake_serves_the_sample_to_the_client(world, sample_rows):
    state = world.fake.state
    load_rows(state, sample_rows)
    sprint_id = user_id_for("sprintcare")
    assert state.users[sprint_id].username == "sprintcare"
    reply = state.posts["1"]  # sprintcare answering tweet 3 from customer 115712
    assert (reply.replied_to_id, reply.in_reply_to_user_id) == ("3", "115712")
    with make_client(world) as client:
        mentions = client.get_mentions(sprint_id)
        assert mentions.posts and all(post.author_id != sprint_id for post in mentions.posts)
        assert all("sprintcare" in post.text.lower() for post in mentions.posts)
        answers = client.search_recent("from:sprintcare is:reply")
        assert answers.posts and {post.author.username for post in answers.posts} == {"sprintcare"}
        thread = {post.id: post for post in client.search_recent("from:115712").posts}
    # 2 answers 1, which answers 3: one conversation, rooted where the chain leaves the sample.
    assert thread["2"].conversation_id == thread["3"].conversation_id == state.posts["1"].conversation_id
    assert thread["2"].replied_to_id == "1" and thread["2"].in_reply_to_user_id == sprint_id


def test_control_endpoint_loads_the_raw_file(world):
    raw = shared_data("tweets/twcs_sample.csv").read_bytes()
    response = call(world.fake.url, "POST", "/_control/twcs", raw=raw, content_type="text/csv")
    assert response.status == 201 and response.json() == {"loaded": 5000}
    assert "\n\nI just love" in world.fake.state.posts["3399"].text
    refused = call(world.fake.url, "POST", "/_control/twcs", raw=b"a,b\n1,2\n", content_type="text/csv")
    assert refused.status == 400 and "twcs" in refused.json()["error"]
