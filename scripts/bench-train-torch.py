#!/usr/bin/python3
"""Peer baseline for BenchmarkGANStep: one full cGAN training step of the
default Down There architecture in PyTorch (Debian's python3-torch 1.13
with OpenBLAS), 2 threads.

A step is a discriminator update and then a generator update against the
updated, frozen discriminator, both with Adam (lr 2e-4, betas
0.5/0.999), on random 64x64 images, as in training/engine.go. The
networks match training/nets.go: base width 24; the condition goes
through a learned 32-wide projection in both networks. The generator upsamples with 3x3 convolutions and pixel
shuffle, with PyTorch's default initialisation (the Go side's ICNR
initialisation of these kernels does not change the cost). The
discriminator downsamples with pixel unshuffle and 3x3 convolutions, and
has a minibatch standard deviation channel, a projection
term and a 7-class auxiliary head. The losses are binary cross-entropy
with real targets of 0.9, plus the bounded diversity term on pairs of
views that share a condition.

Usage: /usr/bin/python3 scripts/bench-train-torch.py [--steps N] [--batches 16,64]
Prints one line per batch size: "batch B: S s/step (mean of N ...)".
This is a measurement tool only, never a runtime dependency.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

W, COND, NOISE, PROJ, AUX = 24, 100, 100, 32, 7


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(COND, PROJ)
        self.fc = nn.Linear(PROJ + NOISE, 16 * 8 * W, bias=False)
        self.bn0 = nn.BatchNorm2d(8 * W)
        chans = [8 * W, 4 * W, 2 * W, W]
        self.ups = nn.ModuleList(nn.Conv2d(a, 4 * b, 3, 1, 1, bias=False) for a, b in zip(chans, chans[1:]))
        self.bns = nn.ModuleList(nn.BatchNorm2d(b) for b in chans[1:])
        self.out = nn.Conv2d(W, 4 * 3, 3, 1, 1)

    def forward(self, cond, noise):
        h = torch.cat([F.leaky_relu(self.proj(cond), 0.2), noise], 1)
        h = F.leaky_relu(self.bn0(self.fc(h).view(-1, 8 * W, 4, 4)), 0.2)
        for up, bn in zip(self.ups, self.bns):
            h = F.leaky_relu(bn(F.pixel_shuffle(up(h), 2)), 0.2)
        return torch.tanh(F.pixel_shuffle(self.out(h), 2))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4 * 3, W, 3, 1, 1)
        self.proj = nn.Linear(COND, PROJ)
        chans = [W + PROJ, 2 * W, 4 * W, 8 * W]
        self.convs = nn.ModuleList(nn.Conv2d(4 * a, b, 3, 1, 1, bias=False) for a, b in zip(chans, chans[1:]))
        self.bns = nn.ModuleList(nn.BatchNorm2d(b) for b in chans[1:])
        self.score = nn.Linear((8 * W + 1) * 16, 1)
        self.embed = nn.Linear(COND, 8 * W)
        self.aux = nn.Linear(8 * W, AUX)

    def forward(self, image, cond):
        h = F.leaky_relu(self.conv1(F.pixel_unshuffle(image, 2)), 0.2)
        tile = F.leaky_relu(self.proj(cond), 0.2)[:, :, None, None].expand(-1, -1, 32, 32)
        h = torch.cat([h, tile], 1)
        for conv, bn in zip(self.convs, self.bns):
            h = F.leaky_relu(bn(conv(F.pixel_unshuffle(h, 2))), 0.2)
        features = h.mean((2, 3))
        std = torch.sqrt(h.var(0, unbiased=False) + 1e-8).mean()
        scored = torch.cat([h, std.expand(h.shape[0], 1, 4, 4)], 1)
        logit = self.score(scored.flatten(1)).squeeze(1) + (self.embed(cond) * features).sum(1)
        return logit, self.aux(features)


def batch_list(text):
    """Parses "16,64" into [16, 64] for argparse."""
    try:
        batches = [int(b) for b in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid batch list {text!r}: expected positive integers separated by commas, such as 16,64")
    if not batches or min(batches) < 2 or any(b % 2 for b in batches):
        raise argparse.ArgumentTypeError(f"invalid batch list {text!r}: each batch must be even and at least 2 (the diversity term pairs its halves)")
    return batches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batches", type=batch_list, default="16,64", help="comma-separated batch sizes, such as 16,64")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for batch in args.batches:
        g, d = Generator(), Discriminator()
        opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        real = torch.rand(batch, 3, 64, 64) * 2 - 1
        cond = torch.rand(batch, COND) * 2 - 1
        noise = torch.randn(batch, NOISE)
        labels = torch.arange(batch) % AUX

        def step():
            fake = g(cond, noise)
            real_logit, real_aux = d(real, cond)
            fake_logit, _ = d(fake.detach(), cond)
            real_loss = 0.9 * F.softplus(-real_logit) + 0.1 * F.softplus(real_logit)
            loss_d = real_loss.mean() + F.softplus(fake_logit).mean() + F.cross_entropy(real_aux, labels)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            # The discriminator is frozen in the generator update, as on the
            # Go side, so backward() computes no kernel gradients for it.
            d.requires_grad_(False)
            gen_logit, gen_aux = d(fake, cond)
            half = batch // 2
            image_diff = (fake[:half] - fake[half:]).abs().flatten(1).mean(1)
            noise_diff = (noise[:half] - noise[half:]).abs().mean(1)
            diversity = -torch.clamp(image_diff / (noise_diff + 1e-5), max=0.5).mean()
            loss_g = F.softplus(-gen_logit).mean() + F.cross_entropy(gen_aux, labels) + diversity
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            d.requires_grad_(True)

        step()
        step()
        times = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        print(f"batch {batch}: {statistics.mean(times):.3f} s/step (mean of {args.steps}, as go test reports)")


if __name__ == "__main__":
    main()
