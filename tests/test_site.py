"""The e-paper site (数字报): files and links on disk, then a real browser."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from layout.site.build import SiteError, build_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(sample_build):
    return build_site(sample_build.edition, sample_build.out_dir)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.imgs_without_alt = 0
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(a[key])
        if a.get("srcset"):
            self.refs.extend(part.split()[0] for part in a["srcset"].split(","))
        if tag == "img" and not a.get("alt"):
            self.imgs_without_alt += 1


def test_one_view_per_page_and_per_article(site, sample_build):
    tree = sample_build.tree
    pages = sorted(p.name for p in (site.folder / "pages").glob("*.html"))
    assert pages == [f"{p.label}.html" for p in tree.pages]
    articles = {p.stem for p in (site.folder / "articles").glob("*.html")}
    assert articles == {a.id for a in sample_build.edition.articles}


def test_every_link_and_asset_exists_and_nothing_is_fetched_from_outside(site):
    checked = 0
    for html in site.folder.rglob("*.html"):
        parser = _Links()
        parser.feed(html.read_text(encoding="utf-8"))
        assert parser.lang == "zh-CN", html
        assert parser.imgs_without_alt == 0, html
        for ref in parser.refs:
            url = urlparse(ref)
            assert not url.scheme and not url.netloc, f"{html.name} refers outside: {ref}"
            target = (html.parent / url.path).resolve()
            assert target.is_file(), f"{html.relative_to(site.folder)} → {ref}"
            checked += 1
    assert checked > 200
    css = (site.folder / "static" / "site.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(|@import|https?://", css)


def test_every_article_is_two_clicks_from_the_index(site, sample_build):
    index = (site.folder / "index.html").read_text(encoding="utf-8")
    for article in sample_build.edition.articles:
        assert f'href="articles/{article.id}.html"' in index


def test_a_jumped_article_is_shown_whole_with_the_pages_it_spans(site):
    html = (site.folder / "articles" / "railway.html").read_text(encoding="utf-8")
    assert "本文刊于" in html and "第01版" in html and "第02版" in html
    assert "一条铁路串起“幸福路”" in html, "the part continued on page 2 is on the same view"


def test_a_build_without_layout_json_is_a_clear_error(sample_build, tmp_path):
    with pytest.raises(SiteError, match="no layout.json"):
        build_site(sample_build.edition, tmp_path)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (Debian package 'chromium'): the browser tests did not run")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except Exception as exc:  # say plainly why the browser tests did not run
            pytest.skip(f"Chromium did not start here: {exc}")
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context()
    pg = context.new_page()
    failed: list[str] = []
    pg.on("requestfailed", lambda r: failed.append(r.url))
    pg.failed = failed
    yield pg
    assert not failed, f"requests failed: {failed}"
    context.close()


def test_clicking_an_article_area_on_a_page_opens_that_article(site, page):
    page.goto((site.folder / "index.html").as_uri())
    page.click("text=第01版 要闻")
    area = page.locator('a.area[data-article="economy"]')
    area.click()
    assert page.url.endswith("/articles/economy.html")
    assert page.locator("h1").inner_text() == "经济运行稳中有进 发展质量持续提升"


def test_next_article_walks_through_every_article_of_a_page(site, page, sample_build):
    first = sample_build.tree.pages[0]
    expected = [a.headline for a in first.articles]
    page.goto((site.folder / "articles" / f"{first.articles[0].id}.html").as_uri())
    seen = [page.locator("article h1").inner_text()]
    for _ in expected[1:]:
        page.click("text=下一篇")
        seen.append(page.locator("article h1").inner_text())
    assert seen == expected


def test_text_size_is_changed_and_kept_across_articles(site, page):
    page.goto((site.folder / "articles" / "heating.html").as_uri())
    size = lambda: float(page.eval_on_selector("article p", "e => parseFloat(getComputedStyle(e).fontSize)"))  # noqa: E731
    before = size()
    page.click("text=放大")
    page.click("text=放大")
    bigger = size()
    assert bigger > before
    page.click("text=下一篇")
    assert abs(size() - bigger) < 0.01, "the chosen size is remembered on the next article"
    page.click("text=默认")
    assert abs(size() - before) < 0.01


def test_the_page_areas_are_reachable_by_keyboard(site, page):
    page.goto((site.folder / "pages" / "01.html").as_uri())
    page.focus('a.area[data-article="railway"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/articles/railway.html")
