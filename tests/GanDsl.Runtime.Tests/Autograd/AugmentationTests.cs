using TorchSharp;
using static GanDsl.Runtime.Tests.TorchTestSupport;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Autograd;

/// <summary>
/// The augmentations behind the DSL's <c>Augment</c> and <c>Jitter</c> (<see cref="AugmentationDraw"/>, <see cref="LossOps"/>):
/// DiffAugment's colour, translation and cutout against a per-pixel reading of the authors' code, gradients against
/// central finite differences in float64, one draw shared by number within a step, fresh draws per step.
/// </summary>
public sealed class AugmentationTests
{
    public AugmentationTests() => UseTwoThreads();

    /// <summary>Per-sample uniforms handed out in order from a list (what a step's draws read), elementwise draws constant.</summary>
    private sealed class ScriptedRandom(params double[][] perSample) : IStepRandom
    {
        private int _next;

        public int Draws => _next;

        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) =>
            torch.tensor(perSample[_next++], [batch], dtype, device);

        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) => throw new NotSupportedException();

        public Tensor ElementwiseNormal(long[] shape, ScalarType dtype, Device device) =>
            torch.linspace(-1, 1, shape.Aggregate(1L, (a, b) => a * b), dtype, device).view(shape);
    }

    // Two 8x8 images: brightness, saturation, contrast, row shift, column shift, cutout row, cutout column, per sample.
    // 8x8: shifts of up to 1 pixel (u·3 → 0, 1, 2, minus 1), a 4x4 cutout (offset u·9 → 0..8, minus 2).
    private static readonly double[][] Draw8 =
    [
        [0.9, 0.1], [0.25, 0.8], [0.7, 0.3], [0.1, 0.9], [0.5, 0.95], [0.0, 0.6], [0.99, 0.4],
    ];

    private static Tensor Images(long b = 2, long c = 3, long h = 8, long w = 8, int seed = 1)
    {
        using var g = new torch.Generator((ulong)seed);
        return torch.rand([b, c, h, w], ScalarType.Float64, generator: g) + 0.1;
    }

    /// <summary>DiffAugment_pytorch.py read pixel by pixel, from the same uniforms.</summary>
    private static double[,,,] Expected(Tensor images, double[][] u)
    {
        var x = images.data<double>().ToArray();
        var (b, c, h, w) = ((int)images.shape[0], (int)images.shape[1], (int)images.shape[2], (int)images.shape[3]);
        double At(int n, int ch, int i, int j) => x[((n * c + ch) * h + i) * w + j];
        var colour = new double[b, c, h, w];
        for (var n = 0; n < b; n++)
        {
            double brightness = u[0][n] - 0.5, saturation = u[1][n] * 2, contrast = u[2][n] + 0.5;
            var v = new double[c, h, w];
            for (var ch = 0; ch < c; ch++) for (var i = 0; i < h; i++) for (var j = 0; j < w; j++) v[ch, i, j] = At(n, ch, i, j) + brightness;
            for (var i = 0; i < h; i++)
                for (var j = 0; j < w; j++)
                {
                    double mean = 0;
                    for (var ch = 0; ch < c; ch++) mean += v[ch, i, j];
                    mean /= c;
                    for (var ch = 0; ch < c; ch++) v[ch, i, j] = (v[ch, i, j] - mean) * saturation + mean;
                }
            double all = 0;
            foreach (var e in v) all += e;
            all /= c * h * w;
            for (var ch = 0; ch < c; ch++) for (var i = 0; i < h; i++) for (var j = 0; j < w; j++) colour[n, ch, i, j] = (v[ch, i, j] - all) * contrast + all;
        }
        var result = new double[b, c, h, w];
        int shift = (int)(h * 0.125 + 0.5), cut = (int)(h * 0.5 + 0.5);
        for (var n = 0; n < b; n++)
        {
            int dr = (int)Math.Floor(u[3][n] * (2 * shift + 1)) - shift, dc = (int)Math.Floor(u[4][n] * (2 * shift + 1)) - shift;
            // randint(0, side + 1 - size % 2) from u, then the square's first row/column offset - size / 2.
            int r0 = (int)Math.Floor(u[5][n] * (h + 1 - cut % 2)) - cut / 2, c0 = (int)Math.Floor(u[6][n] * (w + 1 - cut % 2)) - cut / 2;
            for (var ch = 0; ch < c; ch++)
                for (var i = 0; i < h; i++)
                    for (var j = 0; j < w; j++)
                    {
                        int si = i + dr, sj = j + dc;
                        var translated = si >= 0 && si < h && sj >= 0 && sj < w ? colour[n, ch, si, sj] : 0;
                        var cutOut = i >= r0 && i < r0 + cut && j >= c0 && j < c0 + cut;
                        result[n, ch, i, j] = cutOut ? 0 : translated;
                    }
        }
        return result;
    }

    [Fact]
    public void Images_get_DiffAugments_colour_translation_and_cutout()
    {
        var x = Images();
        var random = new ScriptedRandom(Draw8);
        var actual = LossOps.Augment(random, x).data<double>().ToArray();
        Assert.Equal(7, random.Draws);

        var expected = Expected(x, Draw8);
        var flat = expected.Cast<double>().ToArray();
        Assert.Equal(flat.Length, actual.Length);
        for (var i = 0; i < flat.Length; i++) Assert.Equal(flat[i], actual[i], 1e-12);
        // The draws above shift both ways and put the cutout at both borders and inside: zeros where the loop says.
        Assert.Equal(flat.Count(v => v == 0), actual.Count(v => v == 0));
        Assert.True(actual.Count(v => v == 0) > 2 * 3 * 8);
    }

    [Fact]
    public void Gradients_flow_through_image_augmentation_and_jitter()
    {
        foreach (var (name, input, f) in new (string, Tensor, Func<Tensor, Tensor>)[]
                 {
                     ("images", Images(2, 3, 8, 8), v => LossOps.Augment(new ScriptedRandom(Draw8), v)),
                     ("odd-sized images", Images(2, 1, 5, 7, seed: 2), v => LossOps.Augment(new ScriptedRandom(Draw8), v)),
                     ("points", torch.randn([4, 2], ScalarType.Float64), v => LossOps.Augment(new ScriptedRandom(), v)),
                     ("jitter", torch.randn([4, 3], ScalarType.Float64), v => LossOps.Jitter(new ScriptedRandom(), v, 0.03)),
                 })
        {
            using var scope = torch.NewDisposeScope();
            using var g = new torch.Generator(5);
            var shape = input.shape;
            var weights = torch.randn(shape, ScalarType.Float64, generator: g);
            var values = input.data<double>().ToArray();
            double Loss(double[] v) => (f(torch.tensor(v, shape, ScalarType.Float64)) * weights).sum().ToDouble();

            var leaf = torch.tensor(values, shape, ScalarType.Float64).requires_grad_(true);
            (f(leaf) * weights).sum().backward();
            var analytic = leaf.grad!.data<double>().ToArray();

            const double h = 1e-6;
            for (var i = 0; i < values.Length; i++)
            {
                var orig = values[i];
                values[i] = orig + h;
                var up = Loss(values);
                values[i] = orig - h;
                var down = Loss(values);
                values[i] = orig;
                var numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 + 1e-6 * Math.Abs(numeric), $"{name}: element {i}: finite difference {numeric:R} vs autograd {analytic[i]:R}");
            }
            // Not a vanishing gradient: every kept pixel and every point passes a gradient back.
            Assert.Contains(analytic, v => Math.Abs(v) > 1e-3);
        }
    }

    [Fact]
    public void Point_batches_are_jittered_by_a_standard_normal_times_the_point_scale()
    {
        var x = torch.zeros([3, 2], ScalarType.Float64);
        var actual = LossOps.Augment(new ScriptedRandom(), x).data<double>().ToArray();
        var n = torch.linspace(-1, 1, 6, ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(n.Select(v => AugmentationDraw.PointJitter * v), actual, (a, b) => Math.Abs(a - b) < 1e-15);
    }

    [Fact]
    public void A_shared_draw_number_transforms_every_batch_of_a_step_alike_and_a_new_step_draws_anew()
    {
        using var g = new torch.Generator(17);
        var random = new GeneratorStepRandom(g);
        var real = Images(4, 3, 8, 8, seed: 3);
        var fake = Images(4, 3, 8, 8, seed: 4);
        static bool[] Zeros(Tensor t) => t.data<double>().ToArray().Select(v => v == 0).ToArray();

        var step = new SharedAugmentations();
        var a = LossOps.AugmentWith(random, step, real, 1);
        var b = LossOps.AugmentWith(random, step, fake, 1);
        var again = LossOps.AugmentWith(random, step, real, 1);
        Assert.Equal(a.data<double>().ToArray(), again.data<double>().ToArray());   // same number, same step: the same transformation
        Assert.Equal(Zeros(a), Zeros(b));                                          // same shifts and cutouts on real and fake

        var other = LossOps.AugmentWith(random, step, fake, 2);
        Assert.NotEqual(Zeros(b), Zeros(other));                                   // another number is another draw
        var nextStep = LossOps.AugmentWith(random, new SharedAugmentations(), real, 1);
        Assert.NotEqual(a.data<double>().ToArray(), nextStep.data<double>().ToArray());   // the next step draws anew
        var independent = LossOps.Augment(random, real);
        Assert.NotEqual(a.data<double>().ToArray(), independent.data<double>().ToArray());

        // Points: the jitter is the same noise on both batches.
        var p = torch.randn([5, 2], ScalarType.Float64);
        var q = torch.randn([5, 2], ScalarType.Float64);
        var points = new SharedAugmentations();
        var dp = LossOps.AugmentWith(random, points, p, 0) - p;
        var dq = LossOps.AugmentWith(random, points, q, 0) - q;
        Assert.True(dp.allclose(dq, rtol: 0, atol: 1e-15));
        Assert.False(dp.allclose(LossOps.Augment(random, p) - p));
    }

    [Fact]
    public void The_same_seed_draws_the_same_augmentations()
    {
        var x = Images(2, 1, 8, 8);
        Tensor Run(ulong seed)
        {
            using var g = new torch.Generator(seed);
            return LossOps.Augment(new GeneratorStepRandom(g), x);
        }
        Assert.True(Run(9).allclose(Run(9), rtol: 0, atol: 0));
        Assert.False(Run(9).allclose(Run(10), rtol: 0, atol: 0));
    }

    [Fact]
    public void A_shared_draw_applied_to_a_batch_of_another_shape_names_both_shapes()
    {
        using var g = new torch.Generator(1);
        var random = new GeneratorStepRandom(g);
        var step = new SharedAugmentations();
        LossOps.AugmentWith(random, step, torch.zeros([4, 2]), 1);
        var e = Assert.Throws<ArgumentException>(() => LossOps.AugmentWith(random, step, torch.zeros([3, 2]), 1));
        Assert.Contains("[4, 2]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
    }

    [Fact]
    public void The_default_normal_draw_is_standard_normal_from_two_uniform_draws()
    {
        // An IStepRandom that only has uniforms (as a test double or an injected file) still jitters: Box-Muller.
        using var g = new torch.Generator(23);
        IStepRandom uniformOnly = new UniformOnly(g);
        var n = uniformOnly.ElementwiseNormal([200_000], ScalarType.Float64, CPU);
        Assert.Equal(0, n.mean().ToDouble(), 0.01);
        Assert.Equal(1, n.std().ToDouble(), 0.01);
        Assert.True(n.isfinite().all().ToBoolean());
    }

    private sealed class UniformOnly(torch.Generator g) : IStepRandom
    {
        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) => torch.rand([batch], dtype, device, generator: g);
        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) => torch.rand(shape, dtype, device, generator: g);
    }
}
