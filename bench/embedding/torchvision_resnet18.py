"""Peer for the embedding benchmarks: torchvision ResNet18 with PIL preprocessing, on the CPU.

Usage: python3 torchvision_resnet18.py <photo dir> [batch] [full|draft]
Prints one line: images=N seconds=S imagesPerSecond=R threads=T decode=MODE

No internet here, so the network is built with random weights (weights=None): the arithmetic, and so the
time, is the same as with the trained weights. Preprocessing is the usual torchvision chain, done in the
main thread as most scripts do: PIL open, RGB, Resize(224) (antialiased bilinear), CenterCrop(224),
ToTensor, Normalize(ImageNet). The final fc layer is removed, so the output is the 512-d pooled features.

The decode: "full" (the default) decodes every pixel; "draft" (the camera benchmark's peer) asks PIL's JPEG
decoder for the smallest DCT scale (1/2, 1/4, 1/8) that keeps the image at least 224 x 224, as a speed-minded
Python script does.
"""
import os
import sys
import time

import torch
import torchvision
from PIL import Image
from torchvision import transforms

SIDE = 224


def load(path, draft):
    image = Image.open(path)
    if draft:
        # draft() keeps the size at least the requested one; it picks the scale, and the mode stays RGB.
        image.draft("RGB", (SIDE, SIDE))
    return image.convert("RGB")


def main():
    directory = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    decode = sys.argv[3] if len(sys.argv) > 3 else "full"
    files = sorted(os.path.join(directory, name) for name in os.listdir(directory))
    # Debian's build starts with one intra-op thread on this 2-vCPU machine; give it every core, as the engine has.
    torch.set_num_threads(os.cpu_count())
    model = torchvision.models.resnet18(weights=None)
    model.fc = torch.nn.Identity()
    model.eval()
    preprocess = transforms.Compose([
        transforms.Resize(SIDE),
        transforms.CenterCrop(SIDE),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    with torch.inference_mode():
        model(torch.zeros(batch, 3, SIDE, SIDE))  # Warm-up, as the engine's model load does.
        start = time.perf_counter()
        count = 0
        for first in range(0, len(files), batch):
            tensors = [preprocess(load(path, decode == "draft")) for path in files[first:first + batch]]
            count += model(torch.stack(tensors)).shape[0]
        seconds = time.perf_counter() - start
    print(f"images={count} seconds={seconds:.3f} imagesPerSecond={count / seconds:.2f} threads={torch.get_num_threads()} decode={decode}")


if __name__ == "__main__":
    main()
