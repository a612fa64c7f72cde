#!/usr/bin/python3
"""Independent reference for GanDsl.Data.Xoshiro256: SplitMix64 seeding, xoshiro256** outputs, uniform
doubles and Marsaglia-polar Gaussians (with the same log series, so the values must match bit for bit).
Prints the values XoshiroTests.cs pins. Run: /usr/bin/python3 xoshiro_reference.py"""
import math, struct

M = (1 << 64) - 1

def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return x, z ^ (z >> 31)

def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M

class Xoshiro:
    def __init__(self, seed):
        x = seed
        self.s = []
        for _ in range(4):
            x, z = splitmix(x)
            self.s.append(z)
    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result
    def double(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)
    def gaussian(self):
        while True:
            u = 2.0 * self.double() - 1.0
            v = 2.0 * self.double() - 1.0
            s = u * u + v * v
            if s >= 1.0 or s == 0.0:
                continue
            return u * math.sqrt(-2.0 * det_log(s) / s)

LN2 = 0.6931471805599453094172321

def det_log(x):
    m, e = math.frexp(x)       # x = m * 2^e, m in [0.5, 1)
    m *= 2.0; e -= 1           # m in [1, 2)
    if m > 1.4142135623730951:
        m *= 0.5; e += 1
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    acc = 0.0
    for k in range(25, 2, -2):
        acc = (acc + 1.0 / k) * s2
    return 2.0 * s * (1.0 + acc) + e * LN2

def bits(d):
    return hex(struct.unpack('<Q', struct.pack('<d', d))[0])

r = Xoshiro(42)
print("uint64:", [hex(r.next()) for _ in range(4)])
r = Xoshiro(42)
print("double:", [repr(r.double()) for _ in range(3)])
r = Xoshiro(7)
g = [r.gaussian() for _ in range(4)]
print("gaussian:", [repr(v) for v in g], [bits(v) for v in g])
_, first = splitmix(0)
print("splitmix(0):", hex(first))
print("log checks:", [(x, repr(det_log(x)), repr(math.log(x))) for x in (0.1, 0.5, 2.0, 1e-300)])
