using GanDsl.Torch;

namespace GanDsl.Optim;

/// <summary>
/// Adam (Kingma and Ba 2015, "Adam: A Method for Stochastic Optimization") with
/// <c>torch.optim.Adam</c>'s rule (amsgrad off): with g ← g + λθ when weight decay λ ≠ 0,
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², and
/// θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
/// </summary>
public sealed class Adam : Optimizer
{
    private static readonly string[] Kinds = ["exp_avg", "exp_avg_sq"];

    /// <summary>Creates the optimizer with torch.optim.Adam's defaults.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the denominator for stability.</param>
    /// <param name="weightDecay">L2 penalty λ, added to the gradient as λθ (not decoupled as in AdamW).</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : base(parameters, lr)
    {
        if (!(beta1 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"Adam: beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"Adam: beta2 must be in [0, 1), got {beta2}.");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"Adam: eps must not be negative, got {eps}.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"Adam: weight decay must not be negative, got {weightDecay}.");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
    }

    /// <summary>Decay of the first-moment average.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment average.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator for stability.</summary>
    public double Eps { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateKinds => Kinds;

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad, long step)
    {
        var expAvg = State(index, "exp_avg");
        var expAvgSq = State(index, "exp_avg_sq");
        using var decayed = WeightDecay != 0 ? grad.Add(parameter, WeightDecay) : null;
        var g = decayed ?? grad;

        expAvg.Mul_(Beta1).Add_(g, 1 - Beta1);
        using (var g2 = g.Square())
            expAvgSq.Mul_(Beta2).Add_(g2, 1 - Beta2);

        // Scalars in float64 as torch.optim computes them in Python.
        var biasCorrection1 = 1 - Math.Pow(Beta1, step);
        var biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, step));
        var stepSize = LearningRate / biasCorrection1;

        using var denominator = expAvgSq.Sqrt();
        denominator.Mul_(1 / biasCorrection2Sqrt);
        using var shifted = denominator + Eps;
        using var direction = expAvg / shifted;
        parameter.Add_(direction, -stepSize);
    }
}
