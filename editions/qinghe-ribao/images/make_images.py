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


def temperature_chart() -> None:
    """The week's forecast highs and lows (℃) as two lines — the data page's chart."""
    highs, lows = [11, 10, 8, 6, 4, 2, 3], [2, 3, 4, 0, -3, -5, -4]
    days = ["29日", "30日", "1日", "2日", "3日", "4日", "5日"]
    w, h = 1800, 1100
    im = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(im)
    hei, song = font("BanmianHei-Bold.ttf", 46), font("BanmianSong-Regular.ttf", 38)
    left, right, top, bottom = 150, w - 80, 140, h - 120
    d.text((left, 40), "未来七天最高、最低气温（℃）", font=hei, fill=(0, 0, 0))

    def y_of(t: float) -> float:
        return bottom - (bottom - top) * (t + 8) / 22

    for t in range(-8, 15, 4):
        d.line([(left, y_of(t)), (right, y_of(t))], fill=(0, 0, 0) if t == 0 else (210, 210, 210), width=3 if t == 0 else 2)
        d.text((left - 20, y_of(t)), str(t), font=song, fill=(60, 60, 60), anchor="rm")
    first, step = left + 70, (right - left - 110) / (len(days) - 1)
    for series, colour in ((highs, (200, 40, 40)), (lows, (30, 80, 170))):
        points = [(first + i * step, y_of(t)) for i, t in enumerate(series)]
        d.line(points, fill=colour, width=8, joint="curve")
        for (x, y), t in zip(points, series):
            d.ellipse([x - 14, y - 14, x + 14, y + 14], fill=colour)
            d.text((x, y - 26), str(t), font=song, fill=colour, anchor="mb")
    for i, day in enumerate(days):
        d.text((first + i * step, bottom + 30), day, font=song, fill=(0, 0, 0), anchor="mt")
    im.save(HERE / "temperature.png", optimize=True)


def marathon() -> None:
    """Runners on the riverside course under the bridge (a drawing, not a photo)."""
    w, h = 1800, 1100
    im = Image.new("RGB", (w, h), (170, 200, 225))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 560, w, h], fill=(96, 104, 110))                          # the road
    d.rectangle([0, 520, w, 560], fill=(120, 150, 110))                       # the verge
    d.arc([-200, 120, 2000, 1000], 200, 340, fill=(140, 140, 136), width=40)   # the bridge's arch
    for x in range(60, w, 140):                                               # crowd barriers
        d.rectangle([x, 600, x + 110, 640], fill=(230, 60, 50))
    shirts = [(230, 80, 40), (40, 120, 200), (250, 200, 40), (60, 160, 90), (200, 60, 140), (240, 240, 240)]
    for k in range(14):                                                       # runners, mid-stride
        x = 90 + k * 122 + (k % 3) * 18
        y = 700 + (k % 4) * 55
        s = 1.0 + (k % 4) * 0.12
        d.ellipse([x, y - 150 * s, x + 40 * s, y - 110 * s], fill=(90, 60, 45))
        d.rounded_rectangle([x - 8 * s, y - 110 * s, x + 48 * s, y - 30 * s], radius=12, fill=shirts[k % 6])
        d.line([(x + 10 * s, y - 30 * s), (x - 20 * s, y + 40 * s)], fill=(40, 40, 50), width=int(16 * s))
        d.line([(x + 30 * s, y - 30 * s), (x + 60 * s, y + 40 * s)], fill=(40, 40, 50), width=int(16 * s))
    im = im.filter(ImageFilter.GaussianBlur(1.0))
    im.save(HERE / "marathon.png", optimize=True)


def railway() -> None:
    """A train crossing the river viaduct at dawn (a drawing, not a photo): the front page's
    lead picture, wide enough for four columns at 200 ppi."""
    w, h = 2400, 1320
    im = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(im)
    for y in range(h):  # dawn: pale gold at the horizon, blue-grey above
        t = min(1.0, y / 760)
        d.line([(0, y), (w, y)], fill=(int(120 + 120 * t), int(140 + 80 * t), int(170 - 20 * t)))
    d.ellipse([1640, 520, 1860, 740], fill=(255, 236, 190))                  # the sun, low
    for base, shade, amp in ((700, (112, 124, 140), 90), (760, (84, 96, 110), 60)):   # far hills
        points = [(0, h)] + [(x, base - amp * abs(((x * 7) % 900) / 450 - 1)) for x in range(0, w + 60, 60)] + [(w, h)]
        d.polygon(points, fill=shade)
    d.rectangle([0, 880, w, h], fill=(70, 92, 108))                          # the river
    for y in range(900, h, 18):                                              # light on the water
        d.line([(1500, y), (2000 - (y - 900) // 3, y)], fill=(190, 180, 150), width=3)
    deck = 700
    d.rectangle([0, deck, w, deck + 34], fill=(200, 200, 196))              # the viaduct's deck
    d.rectangle([0, deck + 34, w, deck + 44], fill=(120, 120, 118))
    for x in range(80, w, 260):                                              # piers into the water
        d.polygon([(x, deck + 44), (x + 60, deck + 44), (x + 70, 940), (x - 10, 940)], fill=(150, 150, 146))
    train_x, car = 360, 300
    for k in range(5):                                                       # a white train, red stripe
        x0 = train_x + k * (car + 12)
        d.rounded_rectangle([x0, deck - 86, x0 + car, deck - 4], radius=22, fill=(244, 244, 240))
        d.rectangle([x0, deck - 38, x0 + car, deck - 26], fill=(200, 30, 36))
        for wx in range(x0 + 20, x0 + car - 30, 46):
            d.rectangle([wx, deck - 72, wx + 30, deck - 50], fill=(60, 70, 86))
    nose = train_x + 5 * (car + 12)
    d.polygon([(nose, deck - 86), (nose + 160, deck - 8), (nose, deck - 4)], fill=(244, 244, 240))
    d.line([(0, deck - 120), (w, deck - 120)], fill=(90, 90, 90), width=3)  # the overhead line
    for x in range(140, w, 520):
        d.rectangle([x, deck - 140, x + 10, deck], fill=(110, 110, 110))
    im = im.filter(ImageFilter.GaussianBlur(1.1))
    im.save(HERE / "railway.png", optimize=True)


if __name__ == "__main__":
    railway()
    temperature_chart()
    marathon()
    ev_chart()
    museum()
    jar()
