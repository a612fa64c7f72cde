using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// Generated steps called directly with a hand-built <see cref="StepContext"/> check it (<see cref="StepContext.Validate"/>)
/// once per set of shapes, and name the network or batch at fault; LossOps refuses misuse by name.
/// </summary>
public sealed class StepContextValidationTests
{
    private const int Batch = 8;

    /// <summary>A critic on 2 features whose output goes through <paramref name="after"/>, counting its forward passes.</summary>
    private sealed class MyCritic : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear _linear;
        private readonly Func<Tensor, Tensor> _after;
        public int Calls;

        public MyCritic(Func<Tensor, Tensor>? after = null, long features = 2) : base("MyCritic")
        {
            _linear = nn.Linear(features, 1);
            _after = after ?? (x => x);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            Calls++;
            return _after(_linear.call(x));
        }
    }

    private static StepContext Context(nn.Module<Tensor, Tensor>? d, long realBatch = Batch, long noiseBatch = Batch, ScalarType realType = ScalarType.Float32)
    {
        var networks = new Dictionary<string, nn.Module<Tensor, Tensor>> { ["G"] = nn.Sequential(nn.Linear(3, 2)), ["D"] = d! };
        return new StepContext(torch.randn([realBatch, 2]).to_type(realType), torch.randn([noiseBatch, 3]), networks, new GeneratorStepRandom(new torch.Generator(1)));
    }

    private static string Fails(StepContext c) => Assert.Throws<ArgumentException>(() => new WganGp().DiscriminatorStep(c)).Message;

    [Fact]
    public void A_critic_built_for_other_data_is_named_with_both_widths()
    {
        using var scope = torch.NewDisposeScope();
        Assert.StartsWith("D (MyCritic) was built for 3 features but the real batch (StepContext.Real) has 2: ", Fails(Context(new MyCritic(features: 3))));
    }

    [Theory]
    [InlineData("extra-row", "D (MyCritic) returned [3, 1] for the real batch (StepContext.Real) [2, 2]; as a critic with Score output the loss needs one score per sample: [2] or [2, 1].")]
    [InlineData("int64", "D (MyCritic) returned int64 for the real batch (StepContext.Real)")]
    [InlineData("detached", "D (MyCritic) returned a tensor with no gradient path to its parameters")]
    public void A_critic_returning_what_the_loss_cannot_use_is_named(string fault, string expected)
    {
        using var scope = torch.NewDisposeScope();
        Func<Tensor, Tensor> after = fault switch
        {
            "extra-row" => x => torch.cat([x, x.narrow(0, 0, 1)], 0),
            "int64" => x => x.to_type(ScalarType.Int64),
            _ => x => x.detach(),
        };
        Assert.StartsWith(expected, Fails(Context(new MyCritic(after))));
    }

    [Fact]
    public void Null_networks_integer_batches_and_unpaired_batch_sizes_are_named()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Contains("declares network D (Critic, Score), but it is null", Fails(Context(null)));
        Assert.StartsWith("The real batch (StepContext.Real) is int64", Fails(Context(new MyCritic(), realType: ScalarType.Int64)));
        Assert.StartsWith("Between(a, b) pairs each sample of a with one of b, but a is [8, 2] and b is [6, 2]", Fails(Context(new MyCritic(), noiseBatch: 6)));
        Assert.Throws<ArgumentNullException>(() => new StepContext(null!, torch.zeros(1), new Dictionary<string, nn.Module<Tensor, Tensor>>(), new GeneratorStepRandom(new torch.Generator(1))));
    }

    [Fact]
    public void The_check_runs_once_per_set_of_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var critic = new MyCritic();
        var networks = new Dictionary<string, nn.Module<Tensor, Tensor>> { ["G"] = nn.Sequential(nn.Linear(3, 2)), ["D"] = critic };
        var loss = new WganGp();
        int CallsOfOneStep(long batch)
        {
            var before = critic.Calls;
            var c = new StepContext(torch.randn([batch, 2]), torch.randn([batch, 3]), networks, new GeneratorStepRandom(new torch.Generator(1)));
            loss.DiscriminatorStep(c);
            return critic.Calls - before;
        }
        var first = CallsOfOneStep(Batch);
        var second = CallsOfOneStep(Batch);
        Assert.Equal(2, first - second);          // the check's two passes (output, then the input's gradient path), once
        Assert.Equal(first, CallsOfOneStep(4));   // a new batch size is checked again
        Assert.Equal(second, CallsOfOneStep(4));
    }

    [Fact]
    public void LossOps_misuse_is_named()
    {
        using var scope = torch.NewDisposeScope();
        var random = new GeneratorStepRandom(new torch.Generator(1));
        Assert.StartsWith("PerSample: 3 per-sample values for a batch of 4 ([4, 2])", Assert.Throws<ArgumentException>(() => LossOps.PerSample(torch.zeros(3), torch.zeros(4, 2))).Message);
        Assert.StartsWith("Between(a, b) interpolates between two batches [B, ...], but a is a 0-d tensor",
            Assert.Throws<ArgumentException>(() => LossOps.Between(random, torch.tensor(1f), torch.zeros(4, 2))).Message);
    }

    [Fact]
    public void Between_pairs_a_single_mean_sample_with_every_sample_of_the_batch()
    {
        // The generator accepts Between(G(z), BatchMean(G(z2))): a [1, ...] batch stands for every sample (if it builds, it trains).
        using var scope = torch.NewDisposeScope();
        var random = new GeneratorStepRandom(new torch.Generator(1));
        var batch = torch.arange(8, ScalarType.Float32).reshape(4, 2);
        var mean = torch.zeros(1, 2);
        var between = LossOps.Between(random, batch, mean);
        Assert.Equal([4L, 2L], between.shape);
        Assert.Equal([4L, 2L], LossOps.Between(random, mean, batch).shape);
        // Each row is α·row on one line towards 0: the two coordinates keep their ratio.
        var ratio = (between[.., 0] * batch[.., 1] - between[.., 1] * batch[.., 0]).abs().max().item<float>();
        Assert.True(ratio < 1e-5f, $"rows not on the segment towards the mean sample: {ratio}");
        Assert.Throws<ArgumentException>(() => LossOps.Between(random, batch, torch.zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => LossOps.Between(random, batch, torch.zeros(4, 3)));
    }
}
