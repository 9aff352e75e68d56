"""stego_lib: steganalysis detectors and functional adversarial attacks.

The executable companion to Schöttle et al., *Detecting Adversarial Examples -
A Lesson from Multimedia Security* (EUSIPCO 2018), and Laidlaw & Feizi,
*Functional Adversarial Attacks* (NeurIPS 2019).

Example::

    >>> from stego_lib import data, detectors
    >>> split = data.load_sample("mnist", limit=4)
    >>> detectors.score(split.pixels).shape
    torch.Size([4])
"""
__version__ = "0.1.0"
