using GanDsl.Torch;

namespace GanDsl.Optim;

/// <summary>
/// RMSprop (Tieleman and Hinton 2012, lecture 6.5; centred form from Graves 2013, "Generating
/// Sequences With Recurrent Neural Networks") with <c>torch.optim.RMSprop</c>'s rule: with
/// g ← g + λθ when weight decay λ ≠ 0, s ← αs + (1−α)g²; the denominator is
/// d = √(s − ḡ²) + ε when centred (ḡ ← αḡ + (1−α)g), else √s + ε; then
/// θ ← θ − lr·g/d, or with momentum μ: b ← μb + g/d, θ ← θ − lr·b.
/// </summary>
public sealed class RMSprop : Optimizer
{
    private readonly string[] _kinds;

    /// <summary>Creates the optimizer with torch.optim.RMSprop's defaults.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">Decay of the squared-gradient average.</param>
    /// <param name="eps">Added to the denominator for stability.</param>
    /// <param name="weightDecay">L2 penalty λ, added to the gradient as λθ.</param>
    /// <param name="momentum">Momentum μ (0: none).</param>
    /// <param name="centered">Whether to divide by the estimated variance instead of the raw second moment.</param>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false)
        : base(parameters, lr)
    {
        if (!(alpha >= 0)) throw new ArgumentOutOfRangeException(nameof(alpha), $"RMSprop: alpha must not be negative, got {alpha}.");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"RMSprop: eps must not be negative, got {eps}.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"RMSprop: weight decay must not be negative, got {weightDecay}.");
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), $"RMSprop: momentum must not be negative, got {momentum}.");
        Alpha = alpha;
        Eps = eps;
        WeightDecay = weightDecay;
        Momentum = momentum;
        Centered = centered;
        var kinds = new List<string> { "square_avg" };
        if (momentum > 0) kinds.Add("momentum_buffer");
        if (centered) kinds.Add("grad_avg");
        _kinds = kinds.ToArray();
    }

    /// <summary>Decay of the squared-gradient average.</summary>
    public double Alpha { get; }

    /// <summary>Added to the denominator for stability.</summary>
    public double Eps { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Momentum (0: none).</summary>
    public double Momentum { get; }

    /// <summary>Whether the denominator uses the centred second moment.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateKinds => _kinds;

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad, long step)
    {
        var squareAvg = State(index, "square_avg");
        using var decayed = WeightDecay != 0 ? grad.Add(parameter, WeightDecay) : null;
        var g = decayed ?? grad;

        using (var g2 = g.Square())
            squareAvg.Mul_(Alpha).Add_(g2, 1 - Alpha);

        Tensor root;
        if (Centered)
        {
            var gradAvg = State(index, "grad_avg");
            gradAvg.Mul_(Alpha).Add_(g, 1 - Alpha);
            using var mean2 = gradAvg.Square();
            using var variance = squareAvg - mean2;
            root = variance.Sqrt();
        }
        else
        {
            root = squareAvg.Sqrt();
        }
        using (root)
        using (var denominator = root + Eps)
        using (var ratio = g / denominator)
        {
            if (Momentum > 0)
            {
                var buffer = State(index, "momentum_buffer");
                buffer.Mul_(Momentum).Add_(ratio);
                parameter.Add_(buffer, -LearningRate);
            }
            else
            {
                parameter.Add_(ratio, -LearningRate);
            }
        }
    }
}
