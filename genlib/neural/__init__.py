"""Neural generative models as torch ``nn.Module``s with their losses in plain sight.

- :class:`Autoencoder` (:mod:`genlib.neural.autoencoder`), :class:`VAE` (:mod:`genlib.neural.vae`);
- :class:`GAN` (:mod:`genlib.neural.gan`), :class:`DCGAN` (:mod:`genlib.neural.dcgan`),
  :class:`ConditionalGAN` (:mod:`genlib.neural.cgan`), :class:`FCCGAN` (:mod:`genlib.neural.fccgan`);
- :class:`VAEGAN` (:mod:`genlib.neural.vaegan`), a VAE whose decoder is also a GAN generator
  (the hybrid of Part 4's conclusion);
- :class:`StackedGAN` (:mod:`genlib.neural.stackgan`), text-to-image in two stages (StackGAN);
- :class:`DDPM` (:mod:`genlib.neural.ddpm`), the denoising diffusion model (with DDIM sampling),
  and :class:`UNet` (:mod:`genlib.neural.unet`), its noise-predicting network;
- :class:`PixelCNN` (:mod:`genlib.neural.pixelcnn`), an autoregressive image model with an exact
  likelihood, and :class:`CharModel` (:mod:`genlib.neural.charmodel`), a tiny causal
  self-attention model of characters (Part 5, the path to transformers);
- :func:`train` (:mod:`genlib.neural.training`), the generic training loop.

Names load lazily: ``import genlib.neural`` does not import torch.
"""

from .._lazy import lazy_module

_NAMES = {
    "Autoencoder": "autoencoder",
    "VAE": "vae",
    "GAN": "gan",
    "DCGAN": "dcgan",
    "FCCGAN": "fccgan",
    "ConditionalGAN": "cgan",
    "VAEGAN": "vaegan",
    "StackedGAN": "stackgan",
    "DDPM": "ddpm",
    "UNet": "unet",
    "PixelCNN": "pixelcnn",
    "CharModel": "charmodel",
    "train": "training",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
