"""Peer for the embedding benchmark: torchvision ResNet18 with PIL preprocessing, batch 16, on the CPU.

Usage: python3 torchvision_resnet18.py <photo dir> [batch]
Prints one line: images=N seconds=S imagesPerSecond=R threads=T

No internet here, so the network is built with random weights (weights=None): the arithmetic, and so the
time, is the same as with the trained weights. Preprocessing is the usual torchvision chain, done in the
main thread as most scripts do: PIL open, RGB, Resize(224) (antialiased bilinear), CenterCrop(224),
ToTensor, Normalize(ImageNet). The final fc layer is removed, so the output is the 512-d pooled features.
"""
import os
import sys
import time

import torch
import torchvision
from PIL import Image
from torchvision import transforms


def main():
    directory = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    files = sorted(os.path.join(directory, name) for name in os.listdir(directory))
    # Debian's build starts with one intra-op thread on this 2-vCPU machine; give it every core, as the engine has.
    torch.set_num_threads(os.cpu_count())
    model = torchvision.models.resnet18(weights=None)
    model.fc = torch.nn.Identity()
    model.eval()
    preprocess = transforms.Compose([
        transforms.Resize(224),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    with torch.inference_mode():
        model(torch.zeros(batch, 3, 224, 224))  # Warm-up, as the engine's model load does.
        start = time.perf_counter()
        count = 0
        for first in range(0, len(files), batch):
            tensors = [preprocess(Image.open(path).convert("RGB")) for path in files[first:first + batch]]
            features = model(torch.stack(tensors))
            count += features.shape[0]
        seconds = time.perf_counter() - start
    print(f"images={count} seconds={seconds:.3f} imagesPerSecond={count / seconds:.2f} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
