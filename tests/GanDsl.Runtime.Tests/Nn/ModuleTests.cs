using GanDsl.Nn;
using GanDsl.Optim;
using GanDsl.Torch;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>Module mechanics: names, modes, dtype and device moves, ownership, shape errors.</summary>
public sealed class ModuleTests
{
    public ModuleTests() => T.SetNumThreads(2);

    [Fact]
    public void Sequential_names_match_pytorch()
    {
        using var model = new Sequential(new Linear(2, 3), new ReLU(), new SpectralNorm(new Linear(3, 1)), new BatchNorm1d(1));
        Assert.Equal(["0.weight", "0.bias", "2.bias", "2.weight_orig", "3.weight", "3.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["2.weight_u", "2.weight_v", "3.running_mean", "3.running_var", "3.num_batches_tracked"], model.NamedBuffers().Select(b => b.Name));
        Assert.Equal(6, model.Parameters().Count());
    }

    [Fact]
    public void Train_and_eval_reach_every_descendant()
    {
        var bn = new BatchNorm1d(2);
        var wrapped = new Linear(2, 2);
        using var model = new Sequential(new SpectralNorm(wrapped), new Sequential(bn));
        model.Eval();
        Assert.False(bn.IsTraining);
        Assert.False(wrapped.IsTraining);
        model.Train();
        Assert.True(bn.IsTraining);
        Assert.True(wrapped.IsTraining);
    }

    [Fact]
    public void ToDType_converts_floating_tensors_and_keeps_leaves_that_require_grad()
    {
        using var model = new Sequential(new Linear(2, 3), new BatchNorm1d(3), new SpectralNorm(new Linear(3, 1)));
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        model.ToDType(DType.Float64);
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.Equal(DType.Float64, p.DType);
            Assert.True(p.RequiresGrad && p.IsLeaf, $"{name} is not a trainable leaf after the conversion");
            Assert.Equal(before[name].Select(v => (double)v), p.ToArray<double>());
        }
        var buffers = model.NamedBuffers().ToDictionary(b => b.Name, b => b.Buffer);
        Assert.Equal(DType.Int64, buffers["1.num_batches_tracked"].DType);
        Assert.Equal(DType.Float64, buffers["1.running_var"].DType);
        Assert.Equal(DType.Float64, buffers["2.weight_u"].DType);
        using var scope = T.NewScope();
        using var inputs = new Generator(3);
        var y = model.Forward(T.Randn([4, 2], DType.Float64, gen: inputs));
        Assert.Equal(DType.Float64, y.DType);
        Assert.Throws<ArgumentException>(() => model.ToDType(DType.Int64));
    }

    [Fact]
    public void To_cpu_keeps_values_and_training_still_works()
    {
        using var model = new Sequential(new Linear(3, 2), new Tanh());
        var w = model.NamedParameters().First().Parameter.ToArray<float>();
        model.To(Device.Cpu);
        var moved = model.NamedParameters().First().Parameter;
        Assert.Equal(w, moved.ToArray<float>());
        Assert.Equal(Device.Cpu, moved.Device);
        using var scope = T.NewScope();
        using var adam = new Adam(model.Parameters(), lr: 0.1);
        model.Forward(T.Ones([1, 3])).Sum().Backward();
        adam.Step();
        Assert.NotEqual(w, model.NamedParameters().First().Parameter.ToArray<float>());
    }

    [Fact]
    public void A_model_built_inside_a_dispose_scope_outlives_the_scope()
    {
        Sequential model;
        using (T.NewScope())
            model = new Sequential(new Linear(2, 2), new BatchNorm1d(2));
        using (model)
        {
            Assert.All(model.Parameters(), p => Assert.False(p.IsDisposed));
            using var scope = T.NewScope();
            Assert.Equal([3L, 2L], model.Forward(T.Ones([3, 2])).Shape);
        }
        Assert.All(model.Parameters(), p => Assert.True(p.IsDisposed));
    }

    [Fact]
    public void Dispose_frees_every_tensor_including_wrapped_layers()
    {
        var inner = new Linear(3, 2);
        var model = new Sequential(new SpectralNorm(inner), new BatchNorm1d(2));
        var tensors = model.Parameters().Concat(model.NamedBuffers().Select(b => b.Buffer)).ToList();
        model.Dispose();
        Assert.All(tensors, t => Assert.True(t.IsDisposed));
        Assert.Throws<ObjectDisposedException>(() => inner.Forward(T.Ones([1, 3])));
        model.Dispose();  // idempotent
    }

    [Fact]
    public void Wrong_input_shape_is_a_clear_exception_and_the_layer_still_works()
    {
        using var scope = T.NewScope();
        using var linear = new Linear(5, 3);
        var e = Assert.Throws<TorchException>(() => linear.Forward(T.Ones([2, 4])));
        Assert.Contains("linear", e.Message);
        Assert.Equal([2L, 3L], linear.Forward(T.Ones([2, 5])).Shape);

        using var conv = new Conv2d(3, 4, 3);
        Assert.Throws<TorchException>(() => conv.Forward(T.Ones([1, 2, 8, 8])));

        using var bn = new BatchNorm1d(4);
        var bnError = Assert.Throws<ArgumentException>(() => bn.Forward(T.Ones([2, 4, 3, 3])));
        Assert.Contains("[2, 4, 3, 3]", bnError.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(2, 2, 3, stride: 2, outputPadding: 2));
    }

    [Fact]
    public void Shape_layers_reshape_as_pytorch()
    {
        using var scope = T.NewScope();
        var x = T.Arange(0, 2 * 12, 1, DType.Float64).Reshape(2, 12);
        using var unflatten = new Unflatten(1, 3, 2, 2);
        var u = unflatten.Forward(x);
        Assert.Equal([2L, 3, 2, 2], u.Shape);
        using var flatten = new Flatten();
        var f = flatten.Forward(u);
        Assert.Equal([2L, 12], f.Shape);
        Assert.Equal(x.ToArray<double>(), f.ToArray<double>());
        using var reshape = new Reshape(4, -1);
        Assert.Equal([2L, 4, 3], reshape.Forward(x).Shape);
        Assert.Equal([2L, 3, 2, 2], new Unflatten(-1, 3, 2, 2).Forward(x).Shape);
    }

    [Fact]
    public void Activations_compute_their_functions()
    {
        using var scope = T.NewScope();
        var x = T.FromArray(new[] { -2.0, 0.5 }, [2]);
        Assert.Equal(new[] { 0.0, 0.5 }, new ReLU().Forward(x).ToArray<double>());
        Assert.Equal(new[] { -0.4, 0.5 }, new LeakyReLU(0.2).Forward(x).ToArray<double>());
        Assert.Equal(new[] { Math.Tanh(-2), Math.Tanh(0.5) }, new Tanh().Forward(x).ToArray<double>(), new ToleranceComparer(1e-15));
        Assert.Equal(new[] { 1 / (1 + Math.Exp(2)), 1 / (1 + Math.Exp(-0.5)) }, new Sigmoid().Forward(x).ToArray<double>(), new ToleranceComparer(1e-15));
    }

    [Fact]
    public void Registering_a_name_twice_or_with_a_dot_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new TwoWeights("w", "w"));
        Assert.Throws<ArgumentException>(() => new TwoWeights("a.b", "c"));
    }

    private sealed class TwoWeights : Module
    {
        public TwoWeights(string a, string b)
        {
            RegisterParameter(a, T.Zeros([1]));
            RegisterParameter(b, T.Zeros([1]));
        }

        public override Tensor Forward(Tensor input) => input.Clone();
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;
        public int GetHashCode(double obj) => 0;
    }
}

/// <summary>Live native handles (a process-wide count) return to their start after layers, optimizers and files are used and disposed.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class NnLeakTests
{
    [Fact]
    public void Training_steps_with_layers_and_optimizers_leave_no_live_tensors()
    {
        T.SetNumThreads(2);
        // Earlier tests leave undisposed tensors to the finalizer (on purpose, e.g. use-after-dispose checks).
        // If a GC freed one of them during the steps below, the count would drop below a raw start value and
        // the test would fail by chance: finalize all pending garbage first, so only this test's tensors count.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var start = T.LiveTensorCount;
        using var inputs = new Generator(17);
        using (var g = ReferenceModels.DcganSmallG())
        using (var d = new Sequential(new SpectralNorm(new Conv2d(1, 4, 4, 2, 1)), new LeakyReLU(0.2), new Flatten(), new Linear(4 * 6 * 6, 1)))
        using (var optG = new Adam(g.Parameters(), lr: 2e-4, beta1: 0.5))
        using (var optD = new RMSprop(d.Parameters(), lr: 1e-4, momentum: 0.5, centered: true))
        {
            for (var step = 0; step < 20; step++)
            {
                using var scope = T.NewScope();
                optD.ZeroGrad();
                var fake = g.Forward(T.Randn([4, 8], gen: inputs));
                (d.Forward(fake.Detach()).Mean() - d.Forward(T.Randn([4, 1, 12, 12], gen: inputs)).Mean()).Backward();
                optD.Step();
                optG.ZeroGrad();
                (-d.Forward(fake).Mean()).Backward();
                optG.Step();
            }
            using var state = optG.GetState();
            Assert.Equal(20, state.Steps[0]);
        }
        Assert.Equal(start, T.LiveTensorCount);
    }
}
