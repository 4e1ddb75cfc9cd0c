"""`--virtual-background IMAGE|blur` for the commands that render (demo, run).

This is the user's own setting, as chosen in Zoom's video settings, not an app call: it needs no
capability and goes straight into the scene's "my video" chain. It does need person
segmentation, which is created here.
"""

from __future__ import annotations

from pathlib import Path

from compositor.errors import LayersValueError
from compositor.scene import VirtualBackground


def add_virtual_background_argument(parser) -> None:
    parser.add_argument("--virtual-background", metavar="IMAGE|blur",
                        help="replace the background of your video with an image, or blur it "
                             "(person segmentation runs on its own thread)")


def make_segmenter():
    """The person segmenter; raises SegmenterUnavailable (a LayersError) with the reason."""
    from compositor.segmentation import Segmenter
    return Segmenter()


def apply_virtual_background(sdk, value: str | None) -> None:
    """Put the background (an image file, or 'blur') into the SDK's scene."""
    if not value:
        return
    if value == "blur":
        background = VirtualBackground(blur=True)
    else:
        from compositor.sdk import imagedata

        path = Path(value)
        if not path.is_file():
            raise LayersValueError(f"--virtual-background: no such image file {value!r} (or use 'blur')")
        rgba = imagedata.load_file_url(str(path.resolve()), base_dir=str(path.resolve().parent), timeout=10)
        background = VirtualBackground(pixels=imagedata.scene_pixels(rgba))
    sdk.store.update(lambda scene: scene.with_my_video(background=background))
