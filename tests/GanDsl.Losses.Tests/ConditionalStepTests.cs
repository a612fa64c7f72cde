using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The conditional zoo losses' generated steps (cgan, projection-hinge, acgan, tac-gan: issue 16) on hand-built labelled
/// step contexts with tiny float64 networks: a label-taking G and projection D (<c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c>),
/// and a score-plus-heads D for the class-head losses. Each step's loss against the same objective computed here directly
/// in TorchSharp from the networks' outputs, each parameter gradient against central finite differences of the step's
/// own loss; D's trunk runs once per batch; shared passes concatenate labels with their batches; and the clear errors for
/// missing labels and a head of the wrong width.
/// </summary>
public sealed class ConditionalStepTests
{
    private const int Batch = 6, Features = 3, NoiseFeatures = 2, Hidden = 4, Classes = 3;

    /// <summary>G(z, y) = W z + b + E[y]: a conditional generator in miniature.</summary>
    private sealed class ConditionalG : nn.Module<Tensor, Tensor, Tensor>, IBatchIndependent
    {
        private readonly nn.Module<Tensor, Tensor> linear;
        private readonly nn.Module<Tensor, Tensor> embed;

        public ConditionalG() : base("ConditionalG")
        {
            linear = nn.Linear(NoiseFeatures, Features, dtype: ScalarType.Float64);
            embed = nn.Embedding(Classes, Features, dtype: ScalarType.Float64);
            RegisterComponents();
        }

        public override Tensor forward(Tensor z, Tensor y) => linear.call(z) + embed.call(y);
    }

    /// <summary>D(x, y) = ψ(φ(x)) + E[y]·φ(x) with φ(x) = tanh(W x + b): a projection discriminator (Miyato &amp; Koyama 2018) in miniature.</summary>
    private sealed class ProjectionD : nn.Module<Tensor, Tensor, Tensor>, IBatchIndependent
    {
        private readonly nn.Module<Tensor, Tensor> phi;
        private readonly nn.Module<Tensor, Tensor> psi;
        private readonly nn.Module<Tensor, Tensor> embed;
        public int Calls;

        public ProjectionD() : base("ProjectionD")
        {
            phi = nn.Linear(Features, Hidden, dtype: ScalarType.Float64);
            psi = nn.Linear(Hidden, 1, dtype: ScalarType.Float64);
            embed = nn.Embedding(Classes, Hidden, dtype: ScalarType.Float64);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x, Tensor y)
        {
            Calls++;
            var h = phi.call(x).tanh();
            return psi.call(h) + (embed.call(y) * h).sum(1, keepdim: true);
        }
    }

    /// <summary>One trunk, then a linear layer to the score and <c>heads</c> × K class logits: AC-GAN's D in miniature.</summary>
    private sealed class HeadedD : nn.Module<Tensor, Tensor>, IBatchIndependent
    {
        private readonly nn.Module<Tensor, Tensor> trunk;
        private readonly nn.Module<Tensor, Tensor> out_;
        public int Calls;

        public HeadedD(long outputs) : base("HeadedD")
        {
            trunk = nn.Linear(Features, Hidden, dtype: ScalarType.Float64);
            out_ = nn.Linear(Hidden, outputs, dtype: ScalarType.Float64);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            Calls++;
            return out_.call(trunk.call(x).tanh());
        }
    }

    private sealed record Setup(IGanLoss Loss, Dictionary<string, nn.Module> Networks, Tensor Real, Tensor Noise, Tensor Y, Tensor Yz);

    private static Setup Make(string name, long? headedOutputs = null)
    {
        torch.manual_seed(3);
        var loss = Zoo.CreateRegistry().Create(name);
        var heads = loss.Info.Networks.Single(n => n.Name == "D").ClassHeads;
        nn.Module d = heads > 0 ? new HeadedD(headedOutputs ?? 1 + heads * Classes) : new ProjectionD();
        var networks = new Dictionary<string, nn.Module>(StringComparer.Ordinal) { ["G"] = new ConditionalG(), ["D"] = d };
        using var data = new torch.Generator(7);
        var real = torch.randn([Batch, Features], dtype: ScalarType.Float64, generator: data);
        var noise = torch.randn([Batch, NoiseFeatures], dtype: ScalarType.Float64, generator: data);
        var y = torch.tensor(new long[] { 0, 1, 2, 2, 1, 0 });
        var yz = torch.tensor(new long[] { 2, 2, 0, 1, 0, 1 });
        return new Setup(loss, networks, real, noise, y, yz);
    }

    private static StepContext Context(Setup s, bool share = true, bool labels = true) =>
        new(s.Real, s.Noise, s.Networks, new GeneratorStepRandom(new torch.Generator(11)))
        {
            RealLabels = labels ? s.Y : null, NoiseLabels = labels ? s.Yz : null, ClassCount = Classes, ShareForwardPasses = share,
        };

    private static double Step(Setup s, bool critic, bool share = true)
    {
        foreach (var n in s.Networks.Values) n.zero_grad();
        using var result = critic ? s.Loss.DiscriminatorStep(Context(s, share)) : s.Loss.GeneratorStep(Context(s, share));
        return result.Loss;
    }

    /// <summary>−log softmax(logits)[label], averaged: cross-entropy written out here, not through libtorch's cross_entropy.</summary>
    private static Tensor MeanCe(Tensor logits, Tensor labels) =>
        -(logits - logits.logsumexp(1, keepdim: true)).gather(1, labels.unsqueeze(1)).mean();

    /// <summary>The losses' objectives from their papers (see the zoo files), computed directly from the networks.</summary>
    private static (double Critic, double Generator) Reference(string name, Setup s)
    {
        using var _ = no_grad();
        var fake = ((nn.Module<Tensor, Tensor, Tensor>)s.Networks["G"]).call(s.Noise, s.Yz);
        if (s.Networks["D"] is ProjectionD d)
        {
            var dr = d.call(s.Real, s.Y).reshape(Batch);
            var df = d.call(fake, s.Yz).reshape(Batch);
            return name switch
            {
                "cgan" => ((F.softplus(-dr).mean() + F.softplus(df).mean()).item<double>(), F.softplus(-df).mean().item<double>()),
                "projection-hinge" => (((1 - dr).relu().mean() + (1 + df).relu().mean()).item<double>(), (-df.mean()).item<double>()),
                _ => throw new ArgumentException(name),
            };
        }
        var headed = (HeadedD)s.Networks["D"];
        var or = headed.call(s.Real);
        var of = headed.call(fake);
        Tensor Score(Tensor o) => o[.., 0];
        Tensor Head(Tensor o, int i) => o[.., (1 + i * Classes)..(1 + (i + 1) * Classes)];
        var source = F.softplus(-Score(or)).mean() + F.softplus(Score(of)).mean();
        var classes = MeanCe(Head(or, 0), s.Y) + MeanCe(Head(of, 0), s.Yz);
        var generator = F.softplus(-Score(of)).mean() + MeanCe(Head(of, 0), s.Yz);
        return name switch
        {
            "acgan" => ((source + classes).item<double>(), generator.item<double>()),
            // TAC-GAN's Q learns from real samples only, its twin Qmi from generated ones (the authors' Twin_AC).
            "tac-gan" => ((source + MeanCe(Head(or, 0), s.Y) + MeanCe(Head(of, 1), s.Yz)).item<double>(), (generator - MeanCe(Head(of, 1), s.Yz)).item<double>()),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [InlineData("cgan")]
    [InlineData("projection-hinge")]
    [InlineData("acgan")]
    [InlineData("tac-gan")]
    public void Steps_match_the_objective_and_finite_differences(string name)
    {
        using var scope = NewDisposeScope();
        var s = Make(name);
        var (criticRef, generatorRef) = Reference(name, s);
        foreach (var (critic, trained, expected) in new[] { (true, "D", criticRef), (false, "G", generatorRef) })
        {
            var value = Step(s, critic);
            Assert.True(Math.Abs(value - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{name} {(critic ? "critic" : "generator")} step: {value:R}, direct {expected:R}");
            var parameters = s.Networks[trained].parameters().ToArray();
            var analytic = parameters.Select(p => p.grad is { } g ? g.clone() : zeros_like(p)).ToArray();
            Assert.Contains(analytic, g => g.abs().sum().item<double>() > 0);
            const double h = 1e-6;
            for (var k = 0; k < parameters.Length; k++)
            {
                for (var i = 0; i < parameters[k].numel(); i++)
                {
                    double At(double delta)
                    {
                        using (no_grad()) parameters[k].view(-1)[i].add_(delta);
                        var v = Step(s, critic);
                        using (no_grad()) parameters[k].view(-1)[i].sub_(delta);
                        return v;
                    }
                    var numeric = (At(h) - At(-h)) / (2 * h);
                    var got = analytic[k].view(-1)[i].item<double>();
                    Assert.True(Math.Abs(numeric - got) <= 1e-7 + 1e-6 * Math.Abs(numeric),
                        $"{name}: d loss / d {trained} parameter {k}[{i}]: step {got:R}, finite differences {numeric:R}");
                }
            }
        }
    }

    [Theory]
    [InlineData("acgan", 1)]
    [InlineData("tac-gan", 2)]
    public void Ds_trunk_runs_once_per_batch_for_its_score_and_class_heads(string name, int heads)
    {
        using var scope = NewDisposeScope();
        var s = Make(name);
        Assert.Equal(heads, s.Loss.Info.ClassHeads.Count);
        var d = (HeadedD)s.Networks["D"];
        Step(s, critic: true);   // the first step also checks the networks (StepContext.Validate), calling them itself
        Step(s, critic: false);
        // Two batches (x and G(z, yz)) in the critic step: two passes unshared, one shared; D(x) and Q(x) read the same pass.
        d.Calls = 0;
        Step(s, critic: true, share: false);
        Assert.Equal(2, d.Calls);
        d.Calls = 0;
        Step(s, critic: true, share: true);
        Assert.Equal(1, d.Calls);
        d.Calls = 0;
        Step(s, critic: false);
        Assert.Equal(1, d.Calls);
    }

    [Theory]
    [InlineData("cgan")]
    [InlineData("projection-hinge")]
    public void A_shared_pass_concatenates_labels_with_their_batches(string name)
    {
        using var scope = NewDisposeScope();
        var s = Make(name);
        var d = (ProjectionD)s.Networks["D"];
        Step(s, critic: true);   // the first step also checks the networks (StepContext.Validate), calling them itself
        d.Calls = 0;
        var plain = Step(s, critic: true, share: false);
        var plainGrads = s.Networks["D"].parameters().Select(p => p.grad!.clone()).ToArray();
        Assert.Equal(2, d.Calls);
        d.Calls = 0;
        var shared = Step(s, critic: true, share: true);
        Assert.Equal(1, d.Calls);
        Assert.True(Math.Abs(plain - shared) <= 1e-12, $"{plain:R} vs {shared:R}");
        var sharedGrads = s.Networks["D"].parameters().Select(p => p.grad!).ToArray();
        for (var k = 0; k < plainGrads.Length; k++)
            Assert.True(plainGrads[k].allclose(sharedGrads[k], rtol: 1e-12, atol: 1e-12), $"parameter {k}");
    }

    [Fact]
    public void Missing_labels_are_a_clear_error_naming_the_loss_and_the_context_property()
    {
        using var scope = NewDisposeScope();
        var s = Make("acgan");
        var critic = Assert.Throws<InvalidOperationException>(() => s.Loss.DiscriminatorStep(Context(s, labels: false)));
        Assert.Contains("Loss 'acgan'", critic.Message);
        Assert.Contains("StepContext.RealLabels", critic.Message);
        Assert.Contains("train on labelled data", critic.Message);
        var generator = Assert.Throws<InvalidOperationException>(() => s.Loss.GeneratorStep(Context(s, labels: false)));
        Assert.Contains("StepContext.NoiseLabels", generator.Message);
        Assert.Contains("train on labelled data", generator.Message);
    }

    [Fact]
    public void A_class_head_of_the_wrong_width_is_a_clear_error_with_expected_and_actual()
    {
        using var scope = NewDisposeScope();
        var s = Make("acgan", headedOutputs: 1 + Classes + 1);
        // The step's validation (the trainer's dry run, NetworkCheck) names the network, the actual and the expected width.
        var e = Assert.Throws<ArgumentException>(() => s.Loss.DiscriminatorStep(Context(s)));
        Assert.Contains("D (HeadedD) returned", e.Message);
        Assert.Contains($", {Classes + 2}]", e.Message);
        Assert.Contains($"1 + 1·{Classes}] for {Classes} classes", e.Message);
    }

    [Fact]
    public void Infos_say_which_networks_take_labels_and_which_heads_they_carry()
    {
        var registry = Zoo.CreateRegistry();
        foreach (var name in Zoo.ConditionalNames) Assert.True(registry.Create(name).Info.UsesLabels, name);
        Assert.DoesNotContain(registry.Names.Except(Zoo.ConditionalNames), n => registry.Create(n).Info.UsesLabels);

        var projection = registry.Create("projection-hinge").Info;
        Assert.All(projection.Networks, n => Assert.True(n.TakesLabels, n.Name));
        var tac = registry.Create("tac-gan").Info;
        Assert.Equal([new ClassHeadInfo("Q", "D", 0), new ClassHeadInfo("Qmi", "D", 1)], tac.ClassHeads);
        Assert.Equal(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score, TakesLabels: false, ClassHeads: 2), tac.Networks.Single(n => n.Name == "D"));
        Assert.True(tac.Networks.Single(n => n.Name == "G").TakesLabels);
    }
}
