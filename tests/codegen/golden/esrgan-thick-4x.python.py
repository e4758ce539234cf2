# In a checkout of Upscaler Explorer, with its requirements installed.
from explorer import Upscaler

upscaler = Upscaler("esrgan-thick/4x")
image = upscaler.upscale(
    "photo.png",
    patch_size=128,
    padding=8,
    progress=lambda done, total: print(f"patch {done} of {total}"),
)
image.save("photo@4x.png")
