# In a checkout of Upscaler Explorer, with its requirements installed.
# This model needs sides that are multiples of 64: --patch-size 100 becomes 128 (it warns, as
# UpscalerJS does).
python -m explorer upscale photo.png -o photo@1x.png \
  --model maxim-deraining --patch-size 100 --padding 8
