"""Photo-like images with known EXIF, generated with Pillow: for tests, benchmarks and the demo city."""

from __future__ import annotations

import io
import random

from PIL import ExifTags, Image, ImageDraw, ImageFilter


def photo_like_image(width: int, height: int, *, seed: int) -> Image.Image:
    """A scene: a smooth random background, a horizon, shapes and mild sensor-like noise."""
    rng = random.Random(seed)
    small = Image.new("RGB", (8, 6))
    small.putdata([tuple(rng.randrange(30, 225) for _ in range(3)) for _ in range(48)])
    image = small.resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    horizon = rng.randrange(height // 3, 2 * height // 3)
    draw.rectangle([0, horizon, width, height], fill=tuple(rng.randrange(20, 140) for _ in range(3)))
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 40 + 1, width // 5 + 2), rng.randrange(height // 40 + 1, height // 5 + 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + w, y + h], fill=colour)
        else:
            draw.rectangle([x, y, x + w, y + h], fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(radius=max(1, width // 1500)))
    # Sensor-like grain, so the JPEG has the size of a phone photo (2 to 3 MB at 12 MP) and not of a drawing.
    noise = Image.merge("RGB", [Image.effect_noise((width, height), 24) for _ in range(3)])
    return Image.blend(image, noise, 0.1)


def _rational_dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def make_exif(
    *,
    orientation: int | None = None,
    taken: str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
) -> Image.Exif:
    """EXIF with an orientation, DateTimeOriginal ("YYYY:MM:DD HH:MM:SS"), OffsetTimeOriginal and GPS."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "eRaha test camera"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if taken is not None:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = taken
        if offset is not None:
            sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps is not None:
        latitude, longitude = gps
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
        gps_ifd[ExifTags.GPS.GPSLatitude] = _rational_dms(latitude)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
        gps_ifd[ExifTags.GPS.GPSLongitude] = _rational_dms(longitude)
    return exif


def with_exif(image: Image.Image, *, fmt: str = "JPEG", quality: int = 90, **exif_fields) -> bytes:
    """Encodes `image` in `fmt` with the given EXIF fields (see make_exif)."""
    out = io.BytesIO()
    exif = make_exif(**exif_fields)
    params = {"exif": exif.tobytes()}
    if fmt in {"JPEG", "WEBP", "HEIF"}:
        params["quality"] = quality
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def sample_jpeg(*, seed: int = 1, size: tuple[int, int] = (800, 600), **exif_fields) -> bytes:
    return with_exif(photo_like_image(*size, seed=seed), fmt="JPEG", **exif_fields)
