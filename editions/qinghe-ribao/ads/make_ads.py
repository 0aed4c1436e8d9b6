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


def bank() -> None:
    pdfmetrics.registerFont(TTFont("BanmianHei", str(FONTS / "BanmianHei-Bold.ttf")))
    pdfmetrics.registerFont(TTFont("BanmianSong", str(FONTS / "BanmianSong-Regular.ttf")))
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


if __name__ == "__main__":
    bank()
