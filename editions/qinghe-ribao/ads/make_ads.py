#!/usr/bin/env python3
"""Draw the sample edition's ads (invented advertisers, made for this project).

    python editions/qinghe-ribao/ads/make_ads.py

An ad arrives at a newspaper as a finished PDF of its module's size, in CMYK with its
fonts embedded; these are made that way with reportlab. Deterministic: the same script
gives the same bytes.
"""
from pathlib import Path

from reportlab.lib.colors import CMYKColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

HERE = Path(__file__).resolve().parent
FONTS = HERE.parents[2] / "fonts"

# 半通栏 on the broadsheet: the type area's width by an eighth of page 2's rows (985.5 × 168 pt)
BAN_TONGLAN = (985.5, 168.0)
# 整版 on the broadsheet: the whole type area below the folio (985.5 × 1386 pt, 99 rows)
ZHENGBAN = (985.5, 1386.0)


def _fonts() -> None:
    pdfmetrics.registerFont(TTFont("BanmianHei", str(FONTS / "BanmianHei-Bold.ttf")))
    pdfmetrics.registerFont(TTFont("BanmianSong", str(FONTS / "BanmianSong-Regular.ttf")))
    pdfmetrics.registerFont(TTFont("BanmianKai", str(FONTS / "BanmianKai-Regular.ttf")))


def bank() -> None:
    _fonts()
    w, h = BAN_TONGLAN
    # the canvas's initial font is ours too: reportlab's default Helvetica would be an unembedded font
    c = Canvas(str(HERE / "nongshang-bank.pdf"), pagesize=(w, h), invariant=1, initialFontName="BanmianSong")
    c.setTitle("清河农商银行 半通栏广告")
    green, gold, white = CMYKColor(0.85, 0.1, 0.75, 0.25), CMYKColor(0, 0.25, 0.9, 0), CMYKColor(0, 0, 0, 0)
    c.setFillColor(green)
    c.rect(0, 0, w, h, fill=1, stroke=0)
    c.setFillColor(gold)
    c.rect(0, 0, w, 10, fill=1, stroke=0)
    c.circle(95, h / 2 + 5, 58, fill=1, stroke=0)
    c.setFillColor(green)
    c.setFont("BanmianHei", 44)
    c.drawCentredString(95, h / 2 - 10, "农")
    c.setFillColor(white)
    c.setFont("BanmianHei", 46)
    c.drawString(180, h / 2 + 18, "清河农商银行")
    c.setFont("BanmianSong", 22)
    c.drawString(182, h / 2 - 22, "扎根清河七十年 · 普惠小微贷款 最快三天放款")
    c.setFillColor(gold)
    c.setFont("BanmianHei", 28)
    c.drawRightString(w - 40, h / 2 + 18, "服务热线 96000")
    c.setFillColor(white)
    c.setFont("BanmianSong", 18)
    c.drawRightString(w - 40, h / 2 - 22, "全市网点128个 · 手机银行扫码即办")
    c.setTrimBox((0, 0, w, h))
    c.save()


def winter_tour() -> None:
    """A whole-page ad for the city's winter tourism season: snow hills, a steaming hot
    spring, four offers, the booking line — in process CMYK, fonts embedded."""
    _fonts()
    w, h = ZHENGBAN
    c = Canvas(str(HERE / "winter-tour.pdf"), pagesize=(w, h), invariant=1, initialFontName="BanmianSong")
    c.setTitle("冬游清河 温泉季 整版广告")
    navy, ice, snow = CMYKColor(1, 0.75, 0.1, 0.35), CMYKColor(0.25, 0.05, 0, 0), CMYKColor(0.04, 0.01, 0, 0)
    red, gold, white = CMYKColor(0, 0.95, 0.9, 0.05), CMYKColor(0, 0.3, 0.9, 0), CMYKColor(0, 0, 0, 0)
    c.setFillColor(navy)
    c.rect(0, 0, w, h, fill=1, stroke=0)
    # the sky lightening towards the hills: bands, as a press proof would show them
    for k in range(24):
        f = 23 - k      # 0 at the top band: the navy above it
        c.setFillColor(CMYKColor(1 - 0.03 * f, 0.75 - 0.028 * f, 0.1, 0.35 - 0.014 * f))
        c.rect(0, 520 + 18 * k, w, 18, fill=1, stroke=0)
    # snow hills
    for base, colour, peaks in ((560, ice, ((0, 0), (180, 260), (420, 60), (640, 300), (985.5, 40))),
                                (440, snow, ((0, 0), (260, 200), (520, 40), (780, 230), (985.5, 80)))):
        c.setFillColor(colour)
        p = c.beginPath()
        p.moveTo(0, 0)
        for x, y in peaks:
            p.lineTo(x, base + 0.8 * y - 200)
        p.lineTo(w, 0)
        p.close()
        c.drawPath(p, fill=1, stroke=0)
    # the hot spring: a pool and rising steam
    c.setFillColor(CMYKColor(0.6, 0.1, 0.2, 0))
    c.ellipse(240, 250, 745, 400, fill=1, stroke=0)
    c.setStrokeColor(white)
    c.setLineWidth(6)
    for k, x in enumerate((380, 490, 600)):
        p = c.beginPath()
        p.moveTo(x, 410)
        for step in range(1, 5):
            p.curveTo(x + (30 if step % 2 else -30), 410 + 40 * step - 20, x, 410 + 40 * step - 10, x, 410 + 40 * step)
        c.drawPath(p, fill=0, stroke=1)
    # the headline and the offers
    c.setFillColor(white)
    c.setFont("BanmianHei", 150)
    c.drawCentredString(w / 2, h - 230, "冬游清河")
    c.setFillColor(gold)
    c.setFont("BanmianKai", 56)
    c.drawCentredString(w / 2, h - 320, "温泉季 · 12月1日至明年2月28日")
    offers = (("温泉", "全市12家温泉酒店 周一至周四门票半价"), ("滑雪", "平川滑雪场 夜场开放至22时"),
              ("冰灯", "滨河公园冰灯艺术节 12月20日开幕"), ("美食", "老城年货集市 百家老字号同场"))
    y = h - 430
    for title, text in offers:
        c.setFillColor(red)
        c.roundRect(120, y - 18, 150, 64, 12, fill=1, stroke=0)
        c.setFillColor(white)
        c.setFont("BanmianHei", 36)
        c.drawCentredString(195, y, title)
        c.setFont("BanmianSong", 34)
        c.drawString(300, y, text)
        y -= 92
    c.setFillColor(red)
    c.rect(0, 0, w, 150, fill=1, stroke=0)
    c.setFillColor(white)
    c.setFont("BanmianHei", 48)
    c.drawString(60, 85, "订票热线 96123")
    c.setFont("BanmianSong", 26)
    c.drawString(60, 40, "清河文旅 · 微信公众号“游清河”在线预订")
    c.setFont("BanmianHei", 30)
    c.drawRightString(w - 60, 70, "清河市文化和旅游局")
    c.setTrimBox((0, 0, w, h))
    c.save()


if __name__ == "__main__":
    bank()
    winter_tour()
