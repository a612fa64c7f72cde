namespace GanDsl;

// LossInfo and the records it is made of (networks, class heads, hyperparameters, states, clipping, optimizers, warnings).
// NetworkRole, NetworkOutput and StateUpdateTiming live in GanDsl.Dsl (src/Dsl/Enums.cs): the DSL attributes use them too.

/// <summary>A network the loss uses.</summary>
/// <param name="Name">The name the loss gives it (<c>D</c>, <c>G</c>).</param>
/// <param name="Role">Which step trains it.</param>
/// <param name="Output">What its output means.</param>
/// <param name="TakesLabels">
/// True when the loss applies it to a batch and its class labels (<c>D(x, y)</c>, <c>G(z, yz)</c>): the module is then an
/// <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> taking (batch, int64 labels [B]).
/// </param>
/// <param name="ClassHeads">
/// The number of class-logit heads the loss reads from this network's forward pass besides its own output (AC-GAN's
/// auxiliary classifier is 1; see <see cref="ClassHeadInfo"/>): the module returns its output and then each head's K
/// class logits side by side, shape [B, 1 + ClassHeads·K] for a score network.
/// </param>
public sealed record NetworkInfo(string Name, NetworkRole Role, NetworkOutput Output, bool TakesLabels = false, int ClassHeads = 0);

/// <summary>
/// A class-logit head the loss reads from another network's forward pass (AC-GAN's auxiliary classifier on D's trunk):
/// columns <c>1 + Index·K</c> to <c>(Index + 1)·K</c> of <see cref="Network"/>'s output, for data with K classes.
/// </summary>
/// <param name="Name">The name the loss gives the head (<c>Q</c>).</param>
/// <param name="Network">The network whose forward pass computes it (<c>D</c>).</param>
/// <param name="Index">Its position among that network's heads, from 0, in declaration order.</param>
public sealed record ClassHeadInfo(string Name, string Network, int Index);

/// <summary>A hyperparameter with its default value.</summary>
public sealed record HyperInfo(string Name, double Default, string? Description);

/// <summary>A value the loss carries between steps.</summary>
public sealed record StateInfo(string Name, double Initial, StateUpdateTiming Timing, string UpdateExpression);

/// <summary>Clamp every parameter of <see cref="Network"/> to [<see cref="Min"/>, <see cref="Max"/>] after each critic step.</summary>
public sealed record ClipInfo(string Network, double Min, double Max);

/// <summary>Optimizer kind and settings the paper trains the loss with; the trainer's default.</summary>
public sealed record OptimizerDefaults(string Kind, double LearningRate, double Beta1 = 0.9, double Beta2 = 0.999, double Alpha = 0.99)
{
    /// <summary>Adam, lr 2e-4, betas (0.5, 0.999): the DCGAN setting, used when a loss names none.</summary>
    public static OptimizerDefaults Standard { get; } = new("adam", 2e-4, 0.5, 0.999);
}

/// <summary>Everything about an objective that is not its formula's evaluation.</summary>
/// <param name="Name">Canonical name (<c>wgan-gp</c>), used on the command line.</param>
/// <param name="TypeName">The declaring C# type, fully qualified.</param>
/// <param name="Summary">The declaration's doc-comment summary (paper and year).</param>
/// <param name="DiscriminatorExpression">The discriminator loss as declared (DSL source text), or null for a loss with no critic step.</param>
/// <param name="GeneratorExpression">The generator loss as declared (DSL source text).</param>
/// <param name="Networks">Every network the loss uses, with its role and output kind; the trainer builds one of each.</param>
/// <param name="Hyperparameters">Hyperparameters with their declared defaults, in declaration order.</param>
/// <param name="States">State carried between steps, with initial values and update timing.</param>
/// <param name="CriticSteps">Discriminator steps per generator step.</param>
/// <param name="Clipping">Weight clipping applied after every critic step.</param>
/// <param name="Optimizer">The optimizer the paper trains with: the trainer's default for this loss.</param>
/// <param name="UsesSecondNoise">True when the loss draws a second, independent noise batch <c>z2</c>.</param>
/// <param name="Formula">The objective as mathematics (what <c>gan show</c> prints), or null for a hand-written loss.</param>
public sealed record LossInfo(
    string Name,
    string TypeName,
    string Summary,
    string? DiscriminatorExpression,
    string GeneratorExpression,
    IReadOnlyList<NetworkInfo> Networks,
    IReadOnlyList<HyperInfo> Hyperparameters,
    IReadOnlyList<StateInfo> States,
    int CriticSteps,
    IReadOnlyList<ClipInfo> Clipping,
    OptimizerDefaults Optimizer,
    bool UsesSecondNoise,
    LossFormula? Formula = null)
{
    /// <summary>True when the loss has a discriminator step (GMMN has none).</summary>
    public bool HasCritic => DiscriminatorExpression is not null;

    /// <summary>
    /// What the build warned about in the losses (GAN0023's log, GAN0026's exponential of an unbounded critic
    /// output): when a step's loss is not finite, the trainer names these instead of suggesting a smaller learning rate.
    /// </summary>
    public IReadOnlyList<LossWarning> Warnings { get; init; } = [];

    /// <summary>
    /// True when the loss reads class labels (<c>y</c>, <c>yz</c>, a label-taking network or a class head): it trains only
    /// on labelled data, and the trainer draws the generator's labels <c>yz</c>.
    /// </summary>
    public bool UsesLabels { get; init; }

    /// <summary>The class-logit heads the loss reads from its networks' forward passes (AC-GAN's classifier on D).</summary>
    public IReadOnlyList<ClassHeadInfo> ClassHeads { get; init; } = [];

    /// <summary>
    /// Networks with their own optimizer settings (<c>[Adam(4e-4, 0, 0.9, Network = "D")]</c>: the two-time-scale update
    /// rule), by network name; every other network trains with <see cref="Optimizer"/>. See <see cref="OptimizerOf"/>.
    /// </summary>
    public IReadOnlyDictionary<string, OptimizerDefaults> NetworkOptimizers { get; init; } = new Dictionary<string, OptimizerDefaults>();

    /// <summary>The optimizer settings the loss declares for <paramref name="network"/>: its own, else <see cref="Optimizer"/>.</summary>
    public OptimizerDefaults OptimizerOf(string network) => NetworkOptimizers.TryGetValue(network, out var own) ? own : Optimizer;
}

/// <summary>A sub-expression of a loss the build warned about, and how to fix it.</summary>
/// <param name="InDiscriminatorLoss">True for the discriminator loss, false for the generator loss.</param>
/// <param name="Id">The diagnostic (GAN0023, GAN0026).</param>
/// <param name="Expression">The sub-expression as written (<c>Log(D(x))</c>).</param>
/// <param name="Fix">What to write instead.</param>
public sealed record LossWarning(bool InDiscriminatorLoss, string Id, string Expression, string Fix);
