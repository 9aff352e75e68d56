"""stego_lib: steganalysis detectors and functional adversarial attacks.

The executable companion to Schöttle et al., *Detecting Adversarial Examples -
A Lesson from Multimedia Security* (EUSIPCO 2018), and Laidlaw & Feizi,
*Functional Adversarial Attacks* (NeurIPS 2019).
"""
__version__ = "0.1.0"
