using System.Runtime.InteropServices;
using TorchSharp;
using static GanDsl.Runtime.Tests.TorchTestSupport;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl.Runtime.Tests.Autograd;

/// <summary>
/// libtorch failures surface as .NET exceptions carrying libtorch's message and the process carries on;
/// a gradient that cannot be taken is a <see cref="GradientException"/> naming the loss and the term; Freeze
/// restores requires_grad; a StepResult's tensors live exactly as long as they should.
/// </summary>
public sealed class ReliabilityTests
{
    public ReliabilityTests() => UseTwoThreads();

    [Fact]
    public void Shape_error_is_an_exception_with_libtorchs_message_and_the_next_op_works()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.ones(2, 3);
        var b = torch.ones(4, 5);
        // Not a.matmul(b): TorchSharp 0.107's native THSTensor_matmul has no error handler, so a shape error there
        // terminates the process (std::terminate on the c10::Error). mm, linear and the rest are guarded.
        var ex = Assert.ThrowsAny<ExternalException>(() => a.mm(b));
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", ex.Message);
        var linear = Assert.ThrowsAny<ExternalException>(() => F.linear(a, b));
        Assert.Contains("cannot be multiplied", linear.Message);

        var c = a.mm(torch.ones(3, 2));
        Assert.Equal(new long[] { 2, 2 }, c.shape);
        Assert.Equal(new float[] { 3, 3, 3, 3 }, c.data<float>().ToArray());
    }

    [Fact]
    public void Dtype_error_is_an_exception_naming_both_types_and_the_next_op_works()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones([2, 3], ScalarType.Float64);
        var w = torch.ones([4, 3], ScalarType.Float32);
        var ex = Assert.ThrowsAny<ExternalException>(() => F.linear(x, w));
        Assert.Contains("same dtype", ex.Message);
        Assert.Contains("double", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("float", ex.Message, StringComparison.OrdinalIgnoreCase);

        var ok = F.linear(x, w.to_type(ScalarType.Float64));
        Assert.Equal(new long[] { 2, 4 }, ok.shape);
    }

    [Fact]
    public void A_module_given_the_wrong_input_throws_and_still_works()
    {
        using var scope = torch.NewDisposeScope();
        using var linear = nn.Linear(5, 3);
        Assert.ThrowsAny<ExternalException>(() => linear.forward(torch.ones(2, 4)));
        Assert.Equal(new long[] { 2, 3 }, linear.forward(torch.ones(2, 5)).shape);
        using var conv = nn.Conv2d(3, 4, 3);
        // TorchSharp checks the channel count itself (ArgumentException) before libtorch would.
        var e = Assert.ThrowsAny<ArgumentException>(() => conv.forward(torch.ones(1, 2, 8, 8)));
        Assert.Contains("3 channels", e.Message);
        var deep = Assert.ThrowsAny<ExternalException>(() => nn.functional.conv2d(torch.ones(1, 2, 8, 8), conv.weight!));
        Assert.Contains("channels", deep.Message);
        Assert.Equal(new long[] { 1, 4, 6, 6 }, conv.forward(torch.ones(1, 3, 8, 8)).shape);
    }

    [Fact]
    public void Errors_on_other_paths_are_exceptions_too()
    {
        using var scope = torch.NewDisposeScope();
        Assert.ThrowsAny<Exception>(() => torch.ones(2, 3).view(4));
        Assert.ThrowsAny<Exception>(() => torch.ones(2).select(0, 5));
        Assert.ThrowsAny<Exception>(() => torch.ones(2, 3).item<float>());
        Assert.Contains("does not require grad", Assert.ThrowsAny<ExternalException>(() => torch.ones(2).sum().backward()).Message);
        Assert.ThrowsAny<ExternalException>(() => torch.cat([torch.ones(2, 3), torch.ones(2, 4)], 0));
        Assert.Equal(new long[] { 4, 3 }, torch.cat([torch.ones(2, 3), torch.ones(2, 3)], 0).shape);
    }

    [Fact]
    public void Grad_of_an_input_that_does_not_require_grad_names_loss_and_term()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.ones([3], ScalarType.Float64).requires_grad_(true);
        var x = torch.ones([3], ScalarType.Float64);
        var e = Assert.Throws<GradientException>(() => LossOps.Grad((w * x).sum(), x, "wgan-gp", "Grad(D(x), x)"));
        Assert.Contains("'wgan-gp'", e.Message);
        Assert.Contains("Grad(D(x), x)", e.Message);
        Assert.Contains("does not require a gradient", e.Message);
        AssertStillWorks();
    }

    [Fact]
    public void Grad_of_a_value_that_does_not_depend_on_the_input_names_loss_and_term()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.ones([3], ScalarType.Float64).requires_grad_(true);
        var x = torch.ones([3], ScalarType.Float64).requires_grad_(true);
        // The value requires grad (through w), but not through x: libtorch returns no gradient for x.
        var e = Assert.Throws<GradientException>(() => LossOps.Grad((w * 2.0).sum(), x, "my-loss", "GradientPenalty(x)"));
        Assert.Contains("'my-loss'", e.Message);
        Assert.Contains("GradientPenalty(x)", e.Message);
        Assert.Contains("does not depend on the input", e.Message);
        Assert.Null(x.grad);
        Assert.Null(w.grad);   // backward was restricted to the input: nothing accumulated on w

        // Nothing differentiable at all: a constant value.
        var constant = Assert.Throws<GradientException>(() => LossOps.Grad(torch.ones([3], ScalarType.Float64).sum(), x, "my-loss", "R1"));
        Assert.Contains("no gradient path", constant.Message);

        // A detached copy of x on the way: the value depends on x's numbers, not on x in the graph.
        var detached = Assert.Throws<GradientException>(() => LossOps.Grad((x.detach() * w).sum(), x, "my-loss", "Grad(detach)"));
        Assert.Contains("does not depend on the input", detached.Message);
        AssertStillWorks();
    }

    [Fact]
    public void A_libtorch_failure_inside_Grad_is_a_GradientException_with_its_message()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones([3], ScalarType.Float64).requires_grad_(true);
        var y = (x.exp() * x).sum();
        y.backward();   // frees the graph
        var e = Assert.Throws<GradientException>(() => LossOps.Grad(y, x, "broken", "Grad(y, x)"));
        Assert.Contains("'broken'", e.Message);
        Assert.Contains("libtorch could not take the gradient", e.Message);
        Assert.Contains("second time", e.Message);
        Assert.NotNull(e.InnerException);
        AssertStillWorks();
    }

    /// <summary>After a failure, autograd still works: a fresh gradient comes out right.</summary>
    private static void AssertStillWorks()
    {
        using var scope = torch.NewDisposeScope();
        var x = F64([1.0, 2.0, 3.0], 3).requires_grad_(true);
        var g = LossOps.Grad((x * x).sum(), x, "ok", "Grad(x²)");
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, ToDoubles(g));
    }

    private sealed class UniformRandom : IStepRandom
    {
        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) => torch.full([batch], 0.5, dtype, device);
        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) => torch.full(shape, 0.5, dtype, device);
    }

    private static StepContext Context(nn.Module<Tensor, Tensor> d, nn.Module<Tensor, Tensor> g) =>
        new(torch.ones(4, 2), torch.ones(4, 3), new Dictionary<string, nn.Module<Tensor, Tensor>> { ["D"] = d, ["G"] = g }, new UniformRandom());

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Freeze_stops_parameter_gradients_lets_input_gradients_through_and_restores_requires_grad(bool training)
    {
        using var scope = torch.NewDisposeScope();
        using var d = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1));
        using var g = nn.Sequential(nn.Linear(3, 2));
        d.train(training);
        // One parameter the user froze on purpose: Freeze must leave it frozen afterwards.
        var userFrozen = d.named_parameters().Single(p => p.name == "1.weight").parameter;
        userFrozen.requires_grad = false;
        var context = Context(d, g);

        using (context.Freeze("D"))
        {
            Assert.All(d.parameters(), p => Assert.False(p.requires_grad));
            Assert.Equal(training, d.training);
            var fake = g.forward(context.Noise);
            (-d.forward(fake).mean()).backward();
        }

        Assert.Equal(training, d.training);
        foreach (var (name, p) in d.named_parameters())
        {
            Assert.Equal(name != "1.weight", p.requires_grad);
            Assert.Null(p.grad);
        }
        Assert.All(g.parameters(), p => Assert.NotNull(p.grad));
        Assert.Contains("'X'", Assert.Throws<KeyNotFoundException>(() => context.Freeze("X")).Message);
    }

    [Fact]
    public void Freeze_restores_requires_grad_when_the_step_throws()
    {
        using var scope = torch.NewDisposeScope();
        using var d = nn.Sequential(nn.Linear(2, 1));
        using var g = nn.Sequential(nn.Linear(3, 2));
        var context = Context(d, g);
        Assert.ThrowsAny<ExternalException>(() =>
        {
            using (context.Freeze("D")) d.forward(torch.ones(4, 5));   // wrong width
        });
        Assert.All(d.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void StepResult_keeps_its_tensors_past_the_step_scope_and_Dispose_frees_them()
    {
        StepResult result;
        Tensor lossTensor, termTensor;
        using (torch.NewDisposeScope())
        {
            var x = F64([1.0, 2.0], 2).requires_grad_(true);
            var loss = (x * x).sum();
            var penalty = x.mean() * 3.0;
            result = new StepResult(loss, new StepTerm("Gp", penalty), new StepTerm("k", 0.25)).MoveToOuterDisposeScope();
            lossTensor = result.LossTensor!;
            termTensor = result.TermValues[0].Tensor!;
            Assert.False(lossTensor.requires_grad);   // detached
            Assert.False(termTensor.requires_grad);
        }
        Assert.False(lossTensor.IsInvalid);
        Assert.False(termTensor.IsInvalid);
        Assert.Equal(5.0, result.Loss);
        Assert.Equal(4.5, result.Term("Gp"));
        Assert.Equal(0.25, result.Term("k"));
        Assert.Null(result.Term("missing"));
        Assert.Equal(["Gp", "k"], result.Terms.Select(t => t.Key));

        result.Dispose();
        Assert.True(lossTensor.IsInvalid);
        Assert.True(termTensor.IsInvalid);
        Assert.Null(result.LossTensor);
        Assert.Equal(5.0, result.Loss);        // values read before stay readable
        Assert.Equal(4.5, result.Term("Gp"));
        result.Dispose();                       // idempotent
    }

    [Fact]
    public void StepResult_not_moved_out_is_freed_with_the_step_scope()
    {
        Tensor lossTensor;
        using (torch.NewDisposeScope())
        {
            var result = new StepResult(torch.tensor(1.5), new StepTerm("t", torch.tensor(2.0)));
            lossTensor = result.LossTensor!;
        }
        Assert.True(lossTensor.IsInvalid);
    }

    [Fact]
    public void Second_noise_batch_is_drawn_once_on_first_use()
    {
        using var scope = torch.NewDisposeScope();
        var draws = 0;
        var context = new StepContext(torch.ones(2, 2), torch.ones(2, 3), new Dictionary<string, nn.Module<Tensor, Tensor>>(),
            new UniformRandom(), () => { draws++; return torch.zeros(2, 3); });
        Assert.Equal(0, draws);
        Assert.Same(context.Noise2, context.Noise2);
        Assert.Equal(1, draws);
        var without = new StepContext(torch.ones(2, 2), torch.ones(2, 3), new Dictionary<string, nn.Module<Tensor, Tensor>>(), new UniformRandom());
        Assert.Contains("z2", Assert.Throws<InvalidOperationException>(() => without.Noise2).Message);
    }
}
