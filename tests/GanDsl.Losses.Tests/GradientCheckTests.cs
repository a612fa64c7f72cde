using GanDsl.Testing;
using GanDsl.Verification;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// <c>gan check</c>'s checker (<see cref="GradientChecker"/>) and the <see cref="GradientCheck"/> helper: every zoo loss passes,
/// and faults injected into a network's backward (a sign error; a second derivative that is wrong while the first is right)
/// make it fail, naming the network.
/// </summary>
public sealed class GradientCheckTests
{
    /// <summary>Losses that take a gradient inside the loss (penalties): their double backward is checked too.</summary>
    private static readonly string[] Penalised = ["wgan-gp", "wgan-lp", "dragan", "r1", "r2", "zero-gp", "cramer", "wgan-div"];

    [Fact]
    public void Every_zoo_loss_passes()
    {
        var registry = Zoo.CreateRegistry();
        foreach (var name in registry.Names)
        {
            var report = GradientChecker.Check(registry.Create(name));
            var table = new StringWriter();
            report.Print(table);
            Assert.True(report.Passed, table.ToString());

            var info = registry.Create(name).Info;
            var steps = report.Rows.Where(r => r.Check == "gradient").Select(r => r.Step).Distinct().ToList();
            Assert.Equal(info.HasCritic ? ["critic", "generator"] : new[] { "generator" }, steps.Order().ToArray());
            // Every parameter element of every trained network is compared.
            Assert.All(info.Networks, n => Assert.Contains(report.Rows, r => r.Network == n.Name && r.Check == "gradient"));
            var doubleBackward = report.Rows.Any(r => r.Check.StartsWith("double backward", StringComparison.Ordinal));
            Assert.True(Penalised.Contains(name) == doubleBackward, $"{name}: double backward checked: {doubleBackward}");
        }
    }

    [Fact]
    public void A_sign_error_in_the_critics_backward_fails_naming_the_critic()
    {
        var options = new GradientCheckOptions { NetworkFactory = (info, shapes) => Mlp(shapes, info.Name == "D" ? t => SignErrorTanh.apply(t) : t => t.tanh()) };

        var failure = Assert.Throws<GradientCheckException>(() => GradientCheck.Assert(new NonSaturating(), options));

        var failed = failure.Report.Rows.Where(r => !r.Passed).ToList();
        Assert.Contains(failed, r => r.Step == "critic" && r.Check == "gradient" && r.Network == "D");
        // G's gradient runs back through D's faulty backward as well; nothing else is blamed.
        Assert.All(failed, r => Assert.True(r.Network is "D" or "G", r.ToString()));
        Assert.Contains("FAIL", failure.Message);
        Assert.Contains(" D ", failure.Message);
        Assert.Contains("nonsaturating", failure.Message);
    }

    [Fact]
    public void A_wrong_second_derivative_fails_the_double_backward_check_only()
    {
        // tanh whose backward treats the saved output as a constant: the first derivative is right, the second misses a term.
        var options = new GradientCheckOptions { NetworkFactory = (info, shapes) => Mlp(shapes, info.Name == "D" ? t => FirstOrderOnlyTanh.apply(t) : t => t.tanh()) };

        // Without a penalty only first derivatives matter: the loss passes.
        GradientCheck.Assert(new NonSaturating(), options);

        var report = GradientChecker.Check(new WganGp(), options);
        Assert.False(report.Passed);
        var failed = report.Rows.Where(r => !r.Passed).ToList();
        Assert.Contains(failed, r => r.Check == "double backward of Grad(D(Between(x, G(z))), Between(x, G(z)))" && r.Network == "D");
        Assert.All(failed, r => Assert.Equal("critic", r.Step));
    }

    [Fact]
    public void Random_draws_are_the_same_in_every_evaluation_and_the_state_is_put_back()
    {
        // DRAGAN draws α per sample and u per element inside the step: fresh draws per evaluation would make the
        // finite differences noise (errors of order 1/h), so passing at 1e-6 shows they are held fixed.
        var dragan = new Dragan();
        Assert.True(GradientChecker.Check(dragan).Passed);

        var began = new Began();
        began.State["k"] = 0.3;
        var report = GradientChecker.Check(began);
        Assert.True(report.Passed);
        Assert.Equal(0.3, began.State["k"]);
    }

    [Fact]
    public void A_step_that_throws_is_a_failed_row_not_an_exception()
    {
        var report = GradientChecker.Check(new ThrowingLoss());
        Assert.False(report.Passed);
        var errors = report.Rows.Where(r => r.Check == "error").ToList();
        Assert.Equal(["critic", "generator"], errors.Select(r => r.Step).ToArray());
        Assert.All(errors, r => Assert.Contains("user code failed", r.Note));
    }

    private static nn.Module<Tensor, Tensor> Mlp(GradientCheckShapes shapes, Func<Tensor, Tensor> activation) => new ActivationMlp(shapes, activation);

    /// <summary>Linear → activation → Linear in float64 with seeded parameters.</summary>
    private sealed class ActivationMlp : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear _first;
        private readonly TorchSharp.Modules.Linear _second;
        private readonly Func<Tensor, Tensor> _activation;

        public ActivationMlp(GradientCheckShapes shapes, Func<Tensor, Tensor> activation) : base("ActivationMlp")
        {
            using var random = new torch.Generator(7);
            _first = nn.Linear(shapes.In, 5, dtype: ScalarType.Float64);
            _second = nn.Linear(5, shapes.Out, dtype: ScalarType.Float64);
            _activation = activation;
            RegisterComponents();
            using (torch.no_grad())
                foreach (var p in parameters()) p.copy_(torch.randn(p.shape, ScalarType.Float64, generator: random) * 1.5);
        }

        public override Tensor forward(Tensor input) => _second.call(_activation(_first.call(input)));
    }

    /// <summary>tanh as a custom autograd function whose backward multiplies by <see cref="Derivative"/> of the saved output.</summary>
    private abstract class TanhWithOwnBackward<T> : torch.autograd.SingleTensorFunction<T> where T : TanhWithOwnBackward<T>, new()
    {
        public override string Name => typeof(T).Name;

        public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
        {
            var output = ((Tensor)vars[0]).tanh();
            ctx.save_for_backward([output]);
            return output;
        }

        public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor grad_output) =>
            [grad_output * Derivative(ctx.get_saved_variables()[0])];

        /// <summary>d tanh/dx as a function of the output y (right: 1 - y²).</summary>
        protected abstract Tensor Derivative(Tensor output);
    }

    /// <summary>A sign error: -(1 - y²).</summary>
    private sealed class SignErrorTanh : TanhWithOwnBackward<SignErrorTanh>
    {
        protected override Tensor Derivative(Tensor output) => -(1 - output.square());
    }

    /// <summary>The saved output detached: the first derivative is right, its own derivative (the second) misses a term.</summary>
    private sealed class FirstOrderOnlyTanh : TanhWithOwnBackward<FirstOrderOnlyTanh>
    {
        protected override Tensor Derivative(Tensor output) => 1 - output.detach().square();
    }

    /// <summary>A hand-written loss whose critic step throws, as user code may.</summary>
    private sealed class ThrowingLoss : IGanLoss
    {
        private static readonly LossInfo s_info = new("throwing", "ThrowingLoss", "", "D", "G",
            [new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample), new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score)],
            [], [], 1, [], OptimizerDefaults.Standard, false);

        public LossInfo Info => s_info;
        public Hyperparameters Hyper { get; } = new(s_info.Name, s_info.Hyperparameters);
        public LossState State { get; } = new(s_info.States);
        public StepResult DiscriminatorStep(StepContext context) => throw new InvalidOperationException("user code failed");
        public StepResult GeneratorStep(StepContext context) => throw new InvalidOperationException("user code failed");
    }
}
