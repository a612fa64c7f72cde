using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Nn;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The generated steps' shared forward passes (one pass of a network on concatenated batches, issue 12) against
/// the plain step, one pass per application: for every zoo loss, the same loss, terms and parameter gradients to
/// float32 round-off; and the runtime's batch-independence rule that decides when a pass may be shared.
/// </summary>
public sealed class SharedForwardPassTests
{
    private static readonly LossRegistry Registry = Zoo.CreateRegistry();
    private const int Batch = 16;
    private const int Features = 3;
    private const int NoiseFeatures = 2;

    /// <summary>A small MLP that counts its forward calls; marked batch-independent (its inner Sequential is checked too).</summary>
    private sealed class Counting : nn.Module<Tensor, Tensor>, IBatchIndependent
    {
        private readonly nn.Module<Tensor, Tensor> inner;
        public int Calls;

        public Counting(long inputs, long outputs) : base("Counting")
        {
            inner = nn.Sequential(nn.Linear(inputs, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, outputs));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            Calls++;
            return inner.call(input);
        }
    }

    private static Dictionary<string, Counting> Networks(LossInfo info)
    {
        torch.manual_seed(5);
        return info.Networks.ToDictionary(n => n.Name, n => new Counting(
            n.Role == NetworkRole.Generator ? NoiseFeatures : Features,
            n.Output switch { NetworkOutput.Score => 1, NetworkOutput.Features => 4, _ => Features }), StringComparer.Ordinal);
    }

    private sealed record Outcome(double Loss, Dictionary<string, double> Terms, Dictionary<string, Tensor> Gradients, int Calls);

    /// <summary>One critic step (when the loss has one) and one generator step on fresh, identically seeded networks.</summary>
    private static (Outcome? Critic, Outcome Generator) Run(string lossName, bool share)
    {
        var loss = Registry.Create(lossName);
        var networks = Networks(loss.Info);
        var modules = networks.ToDictionary(n => n.Key, n => (nn.Module<Tensor, Tensor>)n.Value, StringComparer.Ordinal);
        using var data = new torch.Generator(7);
        using var draws = new torch.Generator(11);
        var real = torch.randn([Batch, Features], generator: data);
        var noise = torch.randn([Batch, NoiseFeatures], generator: data);
        var noise2 = torch.randn([Batch, NoiseFeatures], generator: data);
        var context = new StepContext(real, noise, modules, new GeneratorStepRandom(draws), () => noise2) { ShareForwardPasses = share };

        Outcome Step(Func<StepContext, StepResult> step)
        {
            foreach (var n in networks.Values)
            {
                n.zero_grad();
                n.Calls = 0;
            }
            using var result = step(context);
            var gradients = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, network) in networks)
                foreach (var (parameter, value) in network.named_parameters())
                    if (value.grad is { } g) gradients[name + "." + parameter] = g.clone();
            return new Outcome(result.Loss, result.Terms.ToDictionary(t => t.Key, t => t.Value), gradients, networks.Values.Sum(n => n.Calls));
        }

        var critic = loss.Info.HasCritic ? Step(loss.DiscriminatorStep) : null;
        var generator = Step(loss.GeneratorStep);
        return (critic, generator);
    }

    public static TheoryData<string> ZooLosses()
    {
        var data = new TheoryData<string>();
        foreach (var name in Registry.Names.Order(StringComparer.Ordinal))
            if (!Registry.Create(name).Info.UsesLabels) data.Add(name); // this harness has no labels: ConditionalStepTests compares shared and plain passes of the conditional losses
        return data;
    }

    [Theory]
    [MemberData(nameof(ZooLosses))]
    public void SharedStep_EqualsThePlainStep_ToFloat32RoundOff(string lossName)
    {
        using var scope = torch.NewDisposeScope();
        var shared = Run(lossName, share: true);
        var plain = Run(lossName, share: false);
        AssertSame(plain.Critic, shared.Critic, lossName + " critic step");
        AssertSame(plain.Generator, shared.Generator, lossName + " generator step");
    }

    private static void AssertSame(Outcome? plain, Outcome? shared, string what)
    {
        if (plain is null || shared is null)
        {
            Assert.True(plain is null && shared is null, what);
            return;
        }
        Assert.True(Close(plain.Loss, shared.Loss), $"{what}: loss {plain.Loss} (plain) vs {shared.Loss} (shared)");
        Assert.Equal(plain.Terms.Keys.Order(), shared.Terms.Keys.Order());
        foreach (var (name, value) in plain.Terms) Assert.True(Close(value, shared.Terms[name]), $"{what}: term {name} {value} vs {shared.Terms[name]}");
        Assert.Equal(plain.Gradients.Keys.Order(), shared.Gradients.Keys.Order());
        foreach (var (name, g) in plain.Gradients)
        {
            var scale = g.abs().max().ToDouble();
            var diff = (g - shared.Gradients[name]).abs().max().ToDouble();
            // Absolute part: a gradient that cancels to ~0 (a relativistic loss's output bias) keeps the round-off of its O(1) terms.
            Assert.True(diff <= 1e-6 + 2e-5 * scale, $"{what}: gradient of {name} differs by {diff:G3} (largest element {scale:G3})");
        }
        Assert.True(shared.Calls <= plain.Calls, $"{what}: {shared.Calls} forward calls shared vs {plain.Calls} plain");
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 2e-5 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));

    [Theory]
    [InlineData("wgan-gp", 1, 0)]        // critic: G, D on [G(z); x], the penalty's own D pass: 3 calls for 4 applications
    [InlineData("nonsaturating", 1, 0)]  // D(x), D(G(z)): 2 calls (G, D) for 3 applications
    public void SharedStep_CallsTheCriticFewerTimes(string lossName, int savedInCritic, int savedInGenerator)
    {
        using var scope = torch.NewDisposeScope();
        var shared = Run(lossName, share: true);
        var plain = Run(lossName, share: false);
        Assert.Equal(plain.Critic!.Calls - savedInCritic, shared.Critic!.Calls);
        Assert.Equal(plain.Generator.Calls - savedInGenerator, shared.Generator.Calls);
    }

    [Theory]
    [InlineData(true, 2)]    // per iteration: D once on [x; G(z)] in the critic step, once in the generator step
    [InlineData(false, 3)]   // TrainOptions.ShareForwardPasses = false (gan train --separate-forward-passes): D(x), D(G(z)) apart
    public void Trainer_SharesThePass_UnlessTheOptionTurnsItOff(bool share, int criticCallsPerIteration)
    {
        var output = Directory.CreateTempSubdirectory("gandsl-shared-").FullName;
        try
        {
            Counting? critic = null;
            var family = ModelFamily.Custom("counting", noiseShape: [NoiseFeatures], build: (network, sample) =>
                network.Role == NetworkRole.Critic ? critic = new Counting(sample[0], 1) : new Counting(NoiseFeatures, sample[0]));
            using var points = torch.randn([64, Features], generator: new torch.Generator(3));
            var options = new TrainOptions
            {
                Steps = 3, BatchSize = 16, OutputDirectory = output, SampleEvery = 0, CheckpointEvery = 0, FinalSampleCount = 4, ShareForwardPasses = share,
            };
            using var trainer = Trainer.Create(Registry.Create("nonsaturating"), family, options, UserData.FromTensor(points));
            var setupCalls = critic!.Calls; // the dry run before step 1
            Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
            Assert.Equal(3 * criticCallsPerIteration, critic.Calls - setupCalls);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void BatchIndependence_KnowsTheZoosNetworks_AndRefusesWhatWouldChangeTheResult()
    {
        using var scope = torch.NewDisposeScope();
        var mlp = new Models.MlpFamily();
        var dcgan = new Models.Dcgan28Family();
        var score = new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score);
        var sample = new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample);
        Assert.True(BatchIndependence.Holds(mlp.Build(score, [2])));
        Assert.True(BatchIndependence.Holds(dcgan.Build(score, [1, 28, 28])));

        // BatchNorm: the batch's own statistics in training mode; running statistics in evaluation mode.
        var generator = dcgan.Build(sample, [1, 28, 28]);
        generator.train();
        Assert.False(BatchIndependence.Holds(generator));
        generator.eval();
        Assert.True(BatchIndependence.Holds(generator));

        // Dropout draws in training mode only; spectral norm iterates once per call; unknown modules are not trusted.
        var dropout = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5));
        dropout.train();
        Assert.False(BatchIndependence.Holds(dropout));
        dropout.eval();
        Assert.True(BatchIndependence.Holds(dropout));
        Assert.False(BatchIndependence.Holds(nn.Sequential(new SpectralNorm(nn.Linear(2, 1)))));
        Assert.False(BatchIndependence.Holds(new Unknown()));
        Assert.True(BatchIndependence.Holds(new Counting(2, 1)));
    }

    private sealed class Unknown() : nn.Module<Tensor, Tensor>("Unknown")
    {
        public override Tensor forward(Tensor input) => input - input.mean(); // depends on the whole batch
    }

    [Fact]
    public void BatchIndependence_NamesOnlyTypesTorchSharpHas()
    {
        var assembly = typeof(torch).Assembly;
        foreach (var name in BatchIndependence.AlwaysIndependent.Concat(BatchIndependence.IndependentWhenEvaluating))
            Assert.True(assembly.GetType("TorchSharp.Modules." + name) is not null, "TorchSharp has no module TorchSharp.Modules." + name);
    }

    [Fact]
    public void Forward_OfANetworkThatIsNotBatchIndependent_RunsOnePassPerBatch()
    {
        using var scope = torch.NewDisposeScope();
        var unknown = new Unknown();
        var context = new StepContext(torch.zeros(1, 2), torch.zeros(1, 2), new Dictionary<string, nn.Module<Tensor, Tensor>>(), new GeneratorStepRandom(new torch.Generator(1)));
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var b = torch.tensor(new float[] { 10, 20 }).reshape(1, 2);
        var outputs = LossOps.Forward(context, unknown, a, b);
        Assert.Equal(2, outputs.Length);
        Assert.Equal(new float[] { -1.5f, -0.5f, 0.5f, 1.5f }, outputs[0].data<float>().ToArray());   // a minus its own mean
        Assert.Equal(new float[] { -5, 5 }, outputs[1].data<float>().ToArray());                      // b minus its own mean
    }
}
