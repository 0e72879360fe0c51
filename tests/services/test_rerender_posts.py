"""flask community rerender-posts: stored bodies whose code was escaped twice are rendered again."""
from community.extensions import db
from community.models import Post


def test_double_escaped_code_is_rendered_again_and_the_rest_left_alone(app, make_thread):
    thread = make_thread(body="Use `a < b && c`")
    fine = make_thread(body="Nothing to fix here.")
    post = db.session.query(Post).filter_by(thread_id=thread.id).one()
    untouched = db.session.query(Post).filter_by(thread_id=fine.id).one()
    post.body_html = "<p>Use <code>a &amp;lt; b &amp;amp;&amp;amp; c</code></p>\n"  # what bleach 6 stored
    untouched.body_html = "<p>kept as stored</p>"
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["community", "rerender-posts"])

    assert result.exit_code == 0 and "Rendered again: 1 posts." in result.output
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_html == "<p>Use <code>a &lt; b &amp;&amp; c</code></p>\n"
    assert db.session.get(Post, untouched.id).body_html == "<p>kept as stored</p>"
    second = app.test_cli_runner().invoke(args=["community", "rerender-posts"])
    assert "Rendered again: 0 posts." in second.output  # safe to run twice
