#!/usr/bin/env python3
"""Draw the sample edition's pictures (all invented, made for this project).

    python editions/qinghe-ribao/images/make_images.py

Deterministic: the same script gives the same PNG bytes.
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
FONTS = HERE.parents[2] / "fonts"


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def ev_chart() -> None:
    """Monthly new-energy vehicle output, January to September (thousand vehicles)."""
    values = [11.2, 10.1, 13.5, 13.9, 14.6, 15.1, 15.8, 16.4, 17.4]
    w, h = 1800, 1000
    im = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(im)
    hei, song = font("BanmianHei-Bold.ttf", 44), font("BanmianSong-Regular.ttf", 38)
    left, bottom, top = 150, h - 130, 110
    d.text((left, 30), "全市新能源汽车月度产量（千辆）", font=hei, fill=0)
    for v in range(0, 21, 5):
        y = bottom - (bottom - top) * v / 20
        d.line([(left, y), (w - 60, y)], fill=200, width=2)
        d.text((left - 20, y), str(v), font=song, fill=60, anchor="rm")
    step = (w - 60 - left) / len(values)
    for i, v in enumerate(values):
        x0 = left + i * step + step * 0.18
        x1 = left + (i + 1) * step - step * 0.18
        y = bottom - (bottom - top) * v / 20
        d.rectangle([x0, y, x1, bottom], fill=70 if i < len(values) - 1 else 20)
        d.text(((x0 + x1) / 2, y - 12), f"{v:.1f}", font=song, fill=0, anchor="mb")
        d.text(((x0 + x1) / 2, bottom + 20), f"{i + 1}月", font=song, fill=0, anchor="mt")
    d.line([(left, bottom), (w - 60, bottom)], fill=0, width=4)
    im.save(HERE / "ev-output.png", optimize=True)


def museum() -> None:
    """An exhibition hall: display cases with pots, a visitor silhouette (a drawing, not a photo)."""
    w, h = 1800, 1200
    im = Image.new("RGB", (w, h), (40, 36, 34))
    d = ImageDraw.Draw(im)
    for y in range(h):  # warm ceiling light falling off towards the floor
        t = y / h
        d.line([(0, y), (w, y)], fill=(int(92 - 50 * t), int(80 - 45 * t), int(66 - 40 * t)))
    d.polygon([(0, 820), (w, 820), (w, h), (0, h)], fill=(58, 50, 44))
    for i, cx in enumerate((330, 900, 1470)):
        d.rectangle([cx - 210, 360, cx + 210, 800], fill=(150, 170, 175), outline=(210, 220, 220), width=6)
        d.rectangle([cx - 230, 800, cx + 230, 900], fill=(30, 28, 26))
        # a pot: body, neck, and a painted wave band
        d.ellipse([cx - 110, 520, cx + 110, 790], fill=(150 + 20 * i, 80, 45))
        d.rectangle([cx - 55, 470, cx + 55, 560], fill=(140 + 20 * i, 72, 40))
        for k in range(5):
            d.arc([cx - 100 + k * 40, 610, cx - 60 + k * 40, 650], 0, 180, fill=(30, 20, 15), width=6)
        d.ellipse([cx - 190, 330, cx + 190, 370], fill=(255, 245, 220))
    # a visitor seen from behind
    d.ellipse([1120, 560, 1220, 670], fill=(20, 18, 18))
    d.rounded_rectangle([1080, 660, 1265, 1010], radius=60, fill=(25, 22, 22))
    d.rectangle([1100, 1000, 1150, 1200], fill=(22, 20, 20))
    d.rectangle([1195, 1000, 1245, 1200], fill=(22, 20, 20))
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    im.save(HERE / "museum.png", optimize=True)


def jar() -> None:
    """The painted jar close up: wave and fish bands on red clay (a drawing, not a photo)."""
    w, h = 1800, 1000
    im = Image.new("RGB", (w, h), (226, 220, 206))
    d = ImageDraw.Draw(im)
    im.paste(Image.new("RGB", (w, 1), (200, 192, 178)), (0, 900))    # the plinth's edge
    d.ellipse([470, 870, 1330, 960], fill=(190, 182, 168))            # its shadow on the plinth
    d.ellipse([520, 230, 1280, 920], fill=(168, 92, 52))               # body
    d.rectangle([720, 110, 1080, 320], fill=(160, 86, 48))            # neck
    d.ellipse([700, 80, 1100, 150], fill=(120, 62, 34))               # mouth
    for row, y in enumerate((420, 540, 660)):
        for k in range(9):
            x = 590 + k * 70
            d.arc([x, y, x + 70, y + 60], 0, 180, fill=(40, 24, 16), width=10)
        if row == 1:
            for k in range(4):                                         # fish between the waves
                x = 630 + k * 150
                d.ellipse([x, y - 40, x + 90, y - 10], fill=(40, 24, 16))
                d.polygon([(x + 90, y - 25), (x + 120, y - 45), (x + 120, y - 5)], fill=(40, 24, 16))
    im = im.filter(ImageFilter.GaussianBlur(1.0))
    im.save(HERE / "museum-jar.png", optimize=True)


if __name__ == "__main__":
    ev_chart()
    museum()
    jar()
