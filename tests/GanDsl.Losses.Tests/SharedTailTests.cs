using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// <see cref="LossOps.BinaryCrossEntropyWithLogitsOfParts"/>, the non-saturating critic's BCE(D(x), 1) + BCE(D(G(z)), 0)
/// as one call on a shared pass's joined output (issue 19): the same loss and parameter gradients as one call per part,
/// in float64 where they must agree to round-off, whether the pass was shared, not shared, or shared with parts of
/// different sizes (where the joined mean would weigh them wrongly, so it must not be used).
/// </summary>
public sealed class SharedTailTests
{
    private static (double Loss, double[] Gradient, SharedForwardOutputs Outputs) Run(bool share, int fakeRows, bool fused, double[] targets)
    {
        torch.manual_seed(3);
        var critic = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to(float64);
        var networks = new Dictionary<string, nn.Module<Tensor, Tensor>> { ["D"] = critic };
        using var draws = new torch.Generator(5);
        var real = torch.randn([5, 3], float64, generator: draws) * 2;
        var fake = torch.randn([fakeRows, 3], float64, generator: draws) * 2;
        var context = new StepContext(real, fake, networks, new GeneratorStepRandom(draws)) { ShareForwardPasses = share };

        var outputs = LossOps.Forward(context, critic, real, fake);
        var loss = fused
            ? LossOps.BinaryCrossEntropyWithLogitsOfParts(outputs, "D", targets)
            : LossOps.BinaryCrossEntropyWithLogits(LossOps.Score(outputs[0], "D"), targets[0])
              + LossOps.BinaryCrossEntropyWithLogits(LossOps.Score(outputs[1], "D"), targets[1]);
        loss.backward();
        var gradient = critic.parameters().SelectMany(p => p.grad!.data<double>().ToArray()).ToArray();
        return (loss.ToDouble(), gradient, outputs);
    }

    [Theory]
    [InlineData(true, 5)]     // one pass, equal parts: the one-call form
    [InlineData(true, 3)]     // one pass, parts of 5 and 3 rows: one call per part
    [InlineData(false, 5)]    // one pass each: one call per part
    public void OneCallOnTheJoinedOutput_EqualsOneCallPerPart(bool share, int fakeRows)
    {
        using var scope = torch.NewDisposeScope();
        double[] targets = [1, 0];
        var plain = Run(share, fakeRows, fused: false, targets);
        var fused = Run(share, fakeRows, fused: true, targets);

        Assert.Equal(share, fused.Outputs.Joined is not null);
        Assert.Equal(plain.Loss, fused.Loss, 1e-12);
        Assert.Equal(plain.Gradient.Length, fused.Gradient.Length);
        for (var i = 0; i < plain.Gradient.Length; i++) Assert.Equal(plain.Gradient[i], fused.Gradient[i], 1e-12);
    }

    [Fact]
    public void SmoothedTargets_AreLaidOutPerPart()
    {
        using var scope = torch.NewDisposeScope();
        double[] targets = [0.9, 0.1];   // one-sided or two-sided label smoothing
        var plain = Run(share: true, 5, fused: false, targets);
        var fused = Run(share: true, 5, fused: true, targets);
        Assert.Equal(plain.Loss, fused.Loss, 1e-12);
        for (var i = 0; i < plain.Gradient.Length; i++) Assert.Equal(plain.Gradient[i], fused.Gradient[i], 1e-12);
        // Swapped targets give another loss: the layout follows the parts' order.
        var swapped = Run(share: true, 5, fused: true, [0.1, 0.9]);
        Assert.NotEqual(fused.Loss, swapped.Loss, 6);
    }

    [Fact]
    public void ATargetCountOtherThanThePartCount_IsRefused()
    {
        using var scope = torch.NewDisposeScope();
        var (_, _, outputs) = Run(share: true, 5, fused: false, [1, 0]);
        var error = Assert.Throws<ArgumentException>(() => LossOps.BinaryCrossEntropyWithLogitsOfParts(outputs, "D", 1));
        Assert.Contains("2 outputs but 1 targets", error.Message);
    }
}
