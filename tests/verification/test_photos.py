"""The photo pipeline on generated photos with known EXIF, and on real phone and camera photos."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image, ImageChops, ImageOps

from verification import photos
from verification.exceptions import PhotoRejected
from verification.models import RiskPolicy
from verification.photos import PhotoLimits, process_photo
from verification.sample_photos import photo_like_image, sample_jpeg, with_exif

REAL_PHOTOS = Path(settings.BASE_DIR).parent / "shared" / "testdata" / "photos"


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_metadata_free(data: bytes) -> None:
    image = reopen(data)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    for key in ("exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"):
        assert key not in image.info, key
    assert b"Exif" not in data[:2000] and b"GPS" not in data and b"http://ns.adobe.com" not in data


def marker_image() -> Image.Image:
    """An upright landscape image with a red block in the top-left corner (tells orientation apart)."""
    image = Image.new("RGB", (400, 300), (240, 240, 240))
    image.paste((220, 0, 0), (0, 0, 100, 75))
    return image


def red_corner(image: Image.Image) -> str:
    w, h = image.size
    corners = {"tl": (5, 5), "tr": (w - 6, 5), "bl": (5, h - 6), "br": (w - 6, h - 6)}
    rgb = image.convert("RGB")
    return next(name for name, xy in corners.items() if rgb.getpixel(xy)[0] > 150 and rgb.getpixel(xy)[1] < 100)


# Stored pixels for each orientation: the inverse of what a camera writes, so the upright result is the marker.
_STORE = {
    1: lambda im: im,
    2: lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
    4: lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    5: lambda im: im.transpose(Image.Transpose.TRANSPOSE),
    6: lambda im: im.transpose(Image.Transpose.ROTATE_90),
    7: lambda im: im.transpose(Image.Transpose.TRANSVERSE),
    8: lambda im: im.transpose(Image.Transpose.ROTATE_270),
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_it_turns_every_exif_orientation_upright(orientation):
    stored = _STORE[orientation](marker_image())
    # sanity: Pillow's own exif_transpose agrees that this stored image is upright after turning
    data = with_exif(stored, orientation=orientation, quality=95)
    assert red_corner(ImageOps.exif_transpose(reopen(data))) == "tl"

    result = process_photo(data, name="turned.jpg")

    display = reopen(result.display)
    assert display.size == (400, 300)
    assert (result.width, result.height) == (400, 300)
    assert red_corner(display) == "tl"
    assert red_corner(reopen(result.thumbnail)) == "tl"
    assert_metadata_free(result.display)
    assert_metadata_free(result.thumbnail)


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("2026:06:01 12:30:00", "+03:00", dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)),
        ("2026:06:01 12:30:00", "-05:00", dt.datetime(2026, 6, 1, 17, 30, tzinfo=dt.UTC)),
        ("2026:06:01 12:30:00", "+00:00", dt.datetime(2026, 6, 1, 12, 30, tzinfo=dt.UTC)),
        ("2026:01:15 12:30:00", None, dt.datetime(2026, 1, 15, 10, 30, tzinfo=dt.UTC)),  # Helsinki winter time
        ("2026:06:01 12:30:00", None, dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)),  # Helsinki summer time
    ],
)
def test_it_reads_the_capture_time_with_its_offset_or_in_helsinki_time(taken, offset, expected):
    result = process_photo(sample_jpeg(taken=taken, offset=offset), name="a.jpg")
    assert result.taken_at == expected
    assert result.taken_at_source == "original"
    assert result.taken_at_has_offset is (offset is not None)


@pytest.mark.parametrize("gps", [(61.1719, 28.7526), (-33.8568, 151.2153), (40.6892, -74.0445), (-22.9519, -43.2105)])
def test_it_reads_gps_in_every_hemisphere(gps):
    result = process_photo(sample_jpeg(gps=gps), name="a.jpg")
    assert result.latitude == pytest.approx(gps[0], abs=1e-5)
    assert result.longitude == pytest.approx(gps[1], abs=1e-5)


def test_it_reports_missing_time_and_gps_as_none():
    result = process_photo(sample_jpeg(), name="a.jpg")
    assert result.taken_at is None and result.latitude is None and result.longitude is None


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_it_accepts_png_webp_and_heic(fmt):
    data = with_exif(photo_like_image(900, 600, seed=3), fmt=fmt, taken="2026:06:01 12:30:00", offset="+03:00")
    extension = {"PNG": "png", "WEBP": "webp", "HEIF": "heic"}[fmt]
    result = process_photo(data, name=f"photo.{extension}")
    assert result.source_format == fmt
    assert result.display_size == (900, 600)
    assert_metadata_free(result.display)
    if fmt != "PNG":  # Pillow writes PNG EXIF as an eXIf chunk; all three keep the time
        assert result.taken_at == dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


def test_a_12_megapixel_jpeg_is_decoded_in_draft_mode_and_kept_at_most_1600_px():
    data = with_exif(photo_like_image(4000, 3000, seed=5), orientation=6)
    result = process_photo(data, name="big.jpg")
    assert max(result.display_size) <= photos.DISPLAY_MAX_SIDE
    assert max(result.display_size) >= photos.DISPLAY_MAX_SIDE // 2
    assert result.display_size == (750, 1000)  # 1/4 scale by libjpeg, turned upright
    assert (result.width, result.height) == (3000, 4000)
    assert max(result.thumbnail_size) == photos.THUMBNAIL_MAX_SIDE


def test_a_large_png_is_resized_to_1600_px():
    data = with_exif(photo_like_image(2400, 1800, seed=5), fmt="PNG")
    result = process_photo(data, name="big.png")
    assert result.display_size == (1600, 1200)


def _expect_rejection(data, name, code, limits=photos.DEFAULT_LIMITS):
    with pytest.raises(PhotoRejected) as caught:
        process_photo(data, name=name, limits=limits)
    assert caught.value.code == code
    assert str(caught.value.message)
    return caught.value


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "a.jpg", "empty"),
        (b"hello, this is text", "a.jpg", "not_an_image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.jpg", "not_an_image"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "photo.png", "not_an_image"),
        (b"GIF89a" + b"\x00" * 100, "a.gif", "not_an_image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "a.jpg", "broken"),
    ],
)
def test_it_refuses_files_that_are_not_accepted_images(data, name, code):
    _expect_rejection(data, name, code)


def test_it_refuses_an_image_whose_extension_names_another_format():
    png = with_exif(photo_like_image(300, 300, seed=1), fmt="PNG")
    error = _expect_rejection(png, "holiday.jpg", "wrong_extension")
    assert ".jpg" in str(error.message) and "PNG" in str(error.message)


def test_it_refuses_a_jpeg_with_an_svg_extension():
    _expect_rejection(sample_jpeg(), "drawing.svg", "not_an_image")


def test_it_refuses_a_truncated_jpeg():
    data = sample_jpeg(size=(1200, 900))
    _expect_rejection(data[: len(data) // 2], "cut.jpg", "broken")


def test_it_refuses_a_50_megapixel_image_before_decoding_it():
    # 8660 x 5774 = 50 MP of one colour: a tiny PNG that would need 150 MB decoded.
    image = Image.new("RGB", (8660, 5774), (10, 120, 10))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    assert len(out.getvalue()) < 1_000_000
    _expect_rejection(out.getvalue(), "huge.png", "too_many_pixels")


def test_it_refuses_a_decompression_bomb_header_without_decoding():
    # A PNG header claiming 100000 x 100000 pixels with almost no data.
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    _expect_rejection(bomb, "bomb.png", "too_many_pixels")


def test_it_refuses_a_file_over_the_byte_limit():
    _expect_rejection(sample_jpeg(), "a.jpg", "too_large", limits=PhotoLimits(max_bytes=1000))


def test_it_refuses_a_tiny_image():
    _expect_rejection(sample_jpeg(size=(40, 30)), "a.jpg", "too_small")


# --- Duplicate detection: precision and recall -----------------------------------------------------


def _variants(image: Image.Image) -> dict[str, bytes]:
    w, h = image.size
    out = {}
    for quality in (40, 70):
        out[f"jpeg q{quality}"] = with_exif(image, quality=quality)
    out["resized 50%"] = with_exif(image.resize((w // 2, h // 2)), quality=85)
    out["resized 25%"] = with_exif(image.resize((w // 4, h // 4)), quality=85)
    for share in (0.03, 0.06):
        dx, dy = int(w * share), int(h * share)
        out[f"cropped {int(share * 100)}%"] = with_exif(image.crop((dx, dy, w - dx, h - dy)), quality=85)
    out["png"] = with_exif(image, fmt="PNG")
    out["brightened"] = with_exif(ImageChops.add(image, Image.new("RGB", image.size, (12, 12, 12))), quality=85)
    return out


def _scenes() -> list[Image.Image]:
    scenes = [photo_like_image(960, 720, seed=seed) for seed in range(12)]
    if REAL_PHOTOS.is_dir():
        for path in sorted(REAL_PHOTOS.glob("jpg/**/*.jpg")):
            if "orientation" in path.parts and not path.stem.endswith("_1"):
                continue  # the same picture eight times; one of each is a scene
            scenes.append(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    return scenes


def test_duplicate_detection_finds_reencoded_resized_and_cropped_copies_but_not_other_scenes(capsys):
    threshold = RiskPolicy().duplicate_max_distance
    scenes = _scenes()
    originals = [process_photo(with_exif(scene, quality=92), name="o.jpg").phash for scene in scenes]
    true_positive = false_negative = 0
    misses = []
    for index, scene in enumerate(scenes):
        for label, data in _variants(scene).items():
            name = "v.png" if label == "png" else "v.jpg"
            distance = photos.hamming(process_photo(data, name=name).phash, originals[index])
            if distance <= threshold:
                true_positive += 1
            else:
                false_negative += 1
                misses.append((index, label, distance))
    false_positive = true_negative = 0
    closest = 64
    for i in range(len(originals)):
        for j in range(i + 1, len(originals)):
            distance = photos.hamming(originals[i], originals[j])
            closest = min(closest, distance)
            if distance <= threshold:
                false_positive += 1
            else:
                true_negative += 1
    precision = true_positive / max(1, true_positive + false_positive)
    recall = true_positive / max(1, true_positive + false_negative)
    with capsys.disabled():
        print(
            f"\nduplicate detection (phash, threshold {threshold} of 64 bits) over {len(scenes)} scenes: "
            f"copies found {true_positive}/{true_positive + false_negative}, "
            f"different-scene pairs matched {false_positive}/{false_positive + true_negative}, "
            f"precision {precision:.3f}, recall {recall:.3f}, closest different scenes {closest} bits; "
            f"misses: {misses}"
        )
    assert precision >= 0.95
    assert recall >= 0.9


# --- Real photos ---------------------------------------------------------------------------------


def _real_photos() -> list[Path]:
    return sorted(p for p in REAL_PHOTOS.rglob("*") if p.is_file() and not p.name.startswith("."))


def test_every_real_phone_and_camera_photo_is_accepted_upright_and_metadata_free():
    if not REAL_PHOTOS.is_dir():
        pytest.skip(f"real test photos not found at {REAL_PHOTOS} (CI has them; see ../shared/testdata/README.md)")
    paths = _real_photos()
    assert paths
    upright_references = {}
    for path in paths:
        data = path.read_bytes()
        result = process_photo(data, name=path.name)
        assert_metadata_free(result.display)
        assert_metadata_free(result.thumbnail)
        assert max(result.display_size) <= photos.DISPLAY_MAX_SIDE
        # Capture time and GPS are read wherever Pillow sees them in the original.
        source = Image.open(path)
        exif = source.getexif()
        sub = exif.get_ifd(0x8769)
        has_time = any(sub.get(tag) for tag in (0x9003, 0x9004)) or bool(exif.get(0x0132))
        assert (result.taken_at is not None) == has_time, path.name
        has_gps = bool(exif.get_ifd(0x8825).get(2))
        assert (result.latitude is not None) == has_gps, path.name
        # Upright: each orientation_N photo must hash like orientation 1 and have its shape.
        if "orientation" in path.parts:
            stem, number = path.stem.rsplit("_", 1)
            if number == "1":
                upright_references[stem] = result
    for path in paths:
        if "orientation" not in path.parts:
            continue
        stem, _ = path.stem.rsplit("_", 1)
        reference = upright_references[stem]
        result = process_photo(path.read_bytes(), name=path.name)
        assert result.display_size == reference.display_size, path.name
        assert photos.hamming(result.phash, reference.phash) <= 4, path.name
