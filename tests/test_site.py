"""The e-paper site (数字报): files and links on disk, then a real browser."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from layout.site.build import SiteError, build_site

SAMPLE_MINI = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "mini"
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
            if not url.path:   # a link within the page (跳到正文)
                assert f'id="{url.fragment}"' in html.read_text(encoding="utf-8"), f"{html.name} → {ref}"
                continue
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


# --- what a reader downloads and shares ------------------------------------------

def test_download_this_page_gives_the_rgb_reader_page_not_the_cmyk_print_page(site, sample_build):
    from layout.qa.pdfinspect import inspect_pdf
    page_pdf = site.folder / "pdf" / "01.pdf"
    facts = inspect_pdf(page_pdf)
    assert len(facts) == 1
    assert facts[0].rgb_operators > 0 and "DeviceCMYK" not in facts[0].colour_spaces
    assert not facts[0].boxes.get("TrimBox") or facts[0].boxes["TrimBox"] == facts[0].boxes["MediaBox"]
    import pypdfium2
    text = pypdfium2.PdfDocument(str(page_pdf))[0].get_textpage().get_text_range()
    assert "全长186公里" in text, "the page keeps its text layer"
    edition_size = (sample_build.out_dir / "qinghe-ribao.pdf").stat().st_size
    assert page_pdf.stat().st_size < 0.5 * edition_size, "its fonts hold this page's characters, not the edition's"
    page = (site.folder / "pages" / "01.html").read_text(encoding="utf-8")
    assert 'href="../pdf/01.pdf" download>下载本版 PDF' in page


def test_the_edition_a_reader_downloads_is_linearised_and_holds_the_builds_edition(site, sample_build):
    """Fast web view: a browser's viewer shows page 1 before the whole edition has come."""
    import io

    import pikepdf
    download = site.folder / "pdf" / "qinghe-ribao.pdf"
    assert b"/Linearized" in download.read_bytes()[:1024]
    with pikepdf.open(download) as pdf, pikepdf.open(sample_build.out_dir / "qinghe-ribao.pdf") as built:
        report = io.StringIO()
        assert pdf.check_linearization(report), report.getvalue()
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.pages) == len(built.pages)
        assert str(pdf.Root.StructTreeRoot.K[0].S) == "/Document"

        def drawn(page) -> bytes:
            parts = page.Contents if isinstance(page.Contents, pikepdf.Array) else [page.Contents]
            return b"".join(part.read_bytes() for part in parts)
        assert [drawn(p) for p in pdf.pages] == [drawn(p) for p in built.pages]


def test_the_page_image_comes_in_sizes_for_phones_desktops_and_zoom(site):
    html = (site.folder / "pages" / "01.html").read_text(encoding="utf-8")
    srcset = re.search(r'srcset="([^"]+)"', html).group(1)
    widths = [int(part.split()[1][:-1]) for part in srcset.split(",")]
    assert widths == [480, 960, 1600]
    assert 'sizes="(max-width: 760px)' in html
    from PIL import Image as PILImage
    for w in (*widths, 2400):
        with PILImage.open(site.folder / "img" / f"01-{w}.webp") as im:
            assert im.width == w
    zoom = (site.folder / "zoom" / "01.html").read_text(encoding="utf-8")
    assert "01-2400.webp" in zoom and 'href="../zoom/01.html"' in html


def test_article_views_name_the_articles_before_and_after_and_list_the_page(site, sample_build):
    first = sample_build.tree.pages[0].articles
    html = (site.folder / "articles" / f"{first[1].id}.html").read_text(encoding="utf-8")
    for rel, word, other in (("prev", "上一篇", first[0]), ("next", "下一篇", first[2])):
        assert re.search(f'rel="{rel}"[^>]*><span class="dir">{word}</span><span class="t">{re.escape(other.headline)}',
                         html)
    listed = re.search(r'<aside class="samepage".*?</aside>', html, re.S).group(0)
    for a in first:
        assert a.headline in listed
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:title" content="{first[1].headline}">' in html
    assert 'property="og:description" content="本报' in html


def test_feed_and_sitemap_list_every_article_with_absolute_links_given_the_site_address(sample_build, tmp_path):
    import shutil as sh
    import xml.etree.ElementTree as ET
    build_dir = tmp_path / "qinghe-ribao"
    for name in ("layout.json", "qinghe-ribao.pdf"):
        (build_dir).mkdir(exist_ok=True)
        sh.copyfile(sample_build.out_dir / name, build_dir / name)
    base = "https://epaper.example.cn/2026-11-28/site/"
    made = build_site(sample_build.edition, build_dir, base_url=base)
    rss = ET.parse(made.folder / "feed.xml").getroot()
    items = rss.findall("./channel/item")
    assert len(items) == len(sample_build.edition.articles)
    assert {i.findtext("title") for i in items} == {a.headline.replace("|", "") for a in sample_build.edition.articles}
    assert all(i.findtext("link").startswith(base + "articles/") for i in items)
    urls = [u.text for u in ET.parse(made.folder / "sitemap.xml").getroot().iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(urls) == 1 + len(sample_build.tree.pages) + len(items) and all(u.startswith(base) for u in urls)
    html = (made.folder / "articles" / "railway.html").read_text(encoding="utf-8")
    assert f'<meta property="og:url" content="{base}articles/railway.html">' in html
    with pytest.raises(SiteError, match="base-url"):
        build_site(sample_build.edition, build_dir, base_url="javascript:alert(1)")


# --- the archive (往期回顾) and its search --------------------------------------

@pytest.fixture(scope="module")
def archive(site, sample_build):
    """Two editions side by side in one OUT: the sample (11-28) and the mini fixture dated 11-27."""
    from layout.build import build_edition
    from layout.site.archive import build_archive, read_edition_site
    out = sample_build.out_dir.parent
    source = out.parent / "archive-src" / "mini"
    shutil.copytree(SAMPLE_MINI, source)
    yaml = source / "edition.yaml"
    yaml.write_text(re.sub(r"(?m)^date: .*$", "date: 2026-11-27", yaml.read_text(encoding="utf-8")), encoding="utf-8")
    mini = build_edition(source, out)
    assert mini.ok
    build_site(mini.edition, mini.out_dir, archive="../../archive/index.html")
    editions = [read_edition_site(out, sample_build.out_dir), read_edition_site(out, mini.out_dir)]
    return build_archive(editions, out / "archive")


def test_the_archive_lists_editions_by_date_in_a_calendar(archive):
    html = (archive.folder / "index.html").read_text(encoding="utf-8")
    assert "2026年11月" in html
    listed = re.search(r'<ul class="titles">.*?</ul>', html, re.S).group(0)
    assert listed.index("11月28日 第12345期") < listed.index("11月27日 第101期"), "newest first"
    assert re.search(r'<a href="../mini/site/index.html" aria-label="2026年11月27日[^"]*第101期">27</a>', html)
    assert 'href="../qinghe-ribao/site/index.html"' in html and 'href="../mini/site/index.html"' in html
    assert archive.editions == 2


def test_the_search_index_finds_bigrams_in_the_shard_the_browser_computes(archive):
    from layout.site.archive import normalize, shard_of
    assert normalize("增长 5.6％") == "增长5.6%"
    shard = (archive.folder / "search" / "bg" / f"{shard_of('铁路'):02x}.js").read_text(encoding="utf-8")
    assert '"铁路":[' in shard


def _search(page, folder, query: str) -> str:
    page.goto((folder / "search.html").as_uri() + "?q=" + query)
    page.wait_for_function("document.body.dataset.searchDone !== undefined && document.body.dataset.searchDone !== ''")
    return page.inner_text("#status")


def test_searching_the_archive_finds_chinese_and_figures_and_opens_the_article(archive, page):
    status = _search(page, archive.folder, "城际铁路")
    assert status.startswith("找到")
    titles = page.locator("#results li > a").all_inner_texts()
    assert "清河至东港城际铁路全线贯通" in titles
    assert page.locator("#results mark").first.inner_text() == "城际铁路"
    _search(page, archive.folder, "增长5.6%")
    assert "经济运行稳中有进 发展质量持续提升" in page.locator("#results li > a").all_inner_texts()
    page.click("text=经济运行稳中有进 发展质量持续提升")
    page.wait_for_load_state("load")
    assert page.url.endswith("/qinghe-ribao/site/articles/economy.html")
    assert _search(page, archive.folder, "没有这样的文章内容").startswith("没有找到")
    page.goto((archive.folder / "search.html").as_uri() + "?q=桥")
    assert page.inner_text("#status") == "请输入至少两个字"


def test_a_hit_in_an_older_edition_links_to_that_edition(archive, page):
    _search(page, archive.folder, "供水温度")   # only in the mini edition (11-27)
    links = page.locator("#results li > a")
    assert links.count() >= 1
    assert "/mini/site/articles/" in links.first.get_attribute("href")
    assert "2026-11-27" in page.locator("#results .meta").first.inner_text()


# --- phones and desktops, and accessibility ---------------------------------------

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _views(site, archive) -> dict[str, str]:
    return {"index": (site.folder / "index.html").as_uri(), "page": (site.folder / "pages" / "01.html").as_uri(),
            "article": (site.folder / "articles" / "railway.html").as_uri(),
            "zoom": (site.folder / "zoom" / "01.html").as_uri(),
            "archive": (archive.folder / "index.html").as_uri(),
            "search": (archive.folder / "search.html").as_uri() + "?q=城际铁路"}


def _each_view(browser, site, archive, viewport: str):
    """Every kind of view, loaded (a search finished) in one browser context at `viewport`."""
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone)
    pg = context.new_page()
    try:
        for name, url in _views(site, archive).items():
            pg.goto(url)
            if name == "search":
                pg.wait_for_function("document.body.dataset.searchDone")
            yield name, pg
    finally:
        context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_view_fits_the_screen_and_its_targets_are_big_enough_to_tap(site, archive, browser, viewport):
    for name, pg in _each_view(browser, site, archive, viewport):
        width = pg.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"{name}: scrolls sideways at {viewport} ({width[0]} > {width[1]} px)"
        # targets outside running text: at least 24 × 24 CSS px (WCAG 2.2 2.5.8)
        small = pg.evaluate("""() => [...document.querySelectorAll('a[href], button')]
            .filter(e => !e.closest('article p, .spans, .skip') && e.offsetParent !== null)
            .map(e => [e.textContent.trim().slice(0, 20), e.getBoundingClientRect()])
            .filter(([t, r]) => r.height < 24 || r.width < 24).map(([t, r]) => `${t} ${r.width}x${r.height}`)""")
        assert not small, f"{name} at {viewport}: {small}"


def test_on_a_phone_the_page_loads_the_phone_sized_image_and_the_zoom_pans(site, browser):
    context = browser.new_context(viewport=VIEWPORTS["phone"], device_scale_factor=2, is_mobile=True, has_touch=True)
    pg = context.new_page()
    try:
        pg.goto((site.folder / "pages" / "01.html").as_uri())
        src = pg.evaluate("document.querySelector('.sheet img').currentSrc")
        assert src.endswith("01-960.webp"), src
        pg.click("text=放大版面")
        pg.wait_for_load_state("load")   # its stylesheet too: till then the pane does not scroll
        assert pg.url.endswith("/zoom/01.html")
        pane = pg.evaluate("(() => { const z = document.querySelector('.zoomview'); z.scrollLeft = 500; "
                           "return [z.scrollWidth, z.clientWidth, z.scrollLeft]; })()")
        assert pane[0] > pane[1] * 3 and pane[2] == 500, pane
        pg.click('a.area[data-article="railway"]', position={"x": 40, "y": 40})
        pg.wait_for_load_state("load")
        assert pg.url.endswith("/articles/railway.html")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_axe_finds_no_wcag_2_2_aa_violation_on_any_view(site, archive, browser, viewport):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python missing")
    axe = axe_module.Axe()
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
               "resultTypes": ["violations"]}
    for name, pg in _each_view(browser, site, archive, viewport):
        results = axe.run(pg, options=options)
        assert results.violations_count == 0, f"{name} at {viewport}:\n{results.generate_snapshot()}"
