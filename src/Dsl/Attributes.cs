namespace GanDsl;

/// <summary>
/// Declares a GAN objective. Put it on a non-static <c>partial class</c> holding one
/// <see cref="GeneratorLossAttribute"/> member and, unless the loss has no critic (GMMN), one
/// <see cref="DiscriminatorLossAttribute"/> member. The GanDsl source generator implements
/// <c>GanDsl.IGanLoss</c> for the class and registers it under <see cref="Name"/>.
/// </summary>
/// <example>
/// <code>
/// [GanLoss("wgan-gp"), CriticSteps(5), Adam(1e-4, 0.5, 0.9)]
/// public partial class WganGp
/// {
///     [Hyper] const double Lambda = 10;
///     [DiscriminatorLoss] static Loss Critic => Mean(D(G(z))) - Mean(D(x)) + Lambda * GradientPenalty(Between(x, G(z)));
///     [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
/// }
/// </code>
/// </example>
/// <param name="name">Canonical name used on the command line (<c>wgan-gp</c>); unique among the losses of a program.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GanLossAttribute(string name) : Attribute
{
    /// <summary>Canonical name used on the command line.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Marks the loss the discriminator step minimises: a <c>static</c> expression-bodied property of
/// type <see cref="Loss"/> whose value must be a scalar that depends on a critic-role network.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class DiscriminatorLossAttribute : Attribute { }

/// <summary>
/// Marks the loss the generator step minimises: a <c>static</c> expression-bodied property of
/// type <see cref="Loss"/> whose value must be a scalar that depends on <c>G</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class GeneratorLossAttribute : Attribute { }

/// <summary>
/// Marks a hyperparameter: a <c>const double</c> field whose value is the default. Generated code
/// reads the current value from <c>IGanLoss.Hyper</c> at every step, so a run can override it by
/// name (<c>--set Lambda=5</c>). The field's doc-comment summary becomes its description.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
public sealed class HyperAttribute : Attribute { }

/// <summary>
/// Declares a scalar state variable the loss carries between steps (BEGAN's <c>k</c>, Fisher GAN's
/// <c>λ</c>). Put it on a <c>static</c> expression-bodied property of type <see cref="Expr"/>: the
/// property's name used in any expression reads the variable's current value, and the property's
/// body is its update rule, applied at <paramref name="timing"/> with the values of that step
/// (no gradients flow through it).
/// </summary>
/// <example>
/// <code>
/// [State(0, StateUpdateTiming.AfterCriticStep)]
/// static Expr k => Clamp(k + LambdaK * (Gamma * L(x) - L(G(z))), 0, 1);
/// </code>
/// </example>
/// <param name="initial">The value at the start of training (and after <c>LossState.Reset</c>).</param>
/// <param name="timing">When the update rule runs.</param>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class StateAttribute(double initial, StateUpdateTiming timing) : Attribute
{
    /// <summary>The value at the start of training.</summary>
    public double Initial { get; } = initial;

    /// <summary>When the update rule runs.</summary>
    public StateUpdateTiming Timing { get; } = timing;
}

/// <summary>
/// Declares a network beyond the vocabulary's <c>D</c>, <c>G</c> and <c>AE</c>: put it on a
/// <c>static partial</c> method taking and returning <see cref="Expr"/>; the generator writes the
/// method's other half. The method's name is the network's name in <c>StepContext.Network</c>.
/// </summary>
/// <example>
/// <code>
/// [Network(NetworkRole.Critic, NetworkOutput.Score)]
/// private static partial Expr A(Expr v);   // an auxiliary critic
/// </code>
/// </example>
/// <remarks>
/// A network may also take class labels: declare it <c>static partial Expr E(Expr v, Expr label)</c> and apply it as
/// <c>E(x, y)</c>; its module is then an <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> taking (batch, labels).
/// </remarks>
/// <param name="role">Which step trains it.</param>
/// <param name="output">What its output means (decides the shape the generator assumes).</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class NetworkAttribute(NetworkRole role, NetworkOutput output) : Attribute
{
    /// <summary>Which step trains it.</summary>
    public NetworkRole Role { get; } = role;

    /// <summary>What its output means.</summary>
    public NetworkOutput Output { get; } = output;
}

/// <summary>Number of critic steps per generator step (WGAN: 5). Default 1.</summary>
/// <param name="steps">A positive count.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class CriticStepsAttribute(int steps) : Attribute
{
    /// <summary>Critic steps per generator step.</summary>
    public int Steps { get; } = steps;
}

/// <summary>
/// Runs every network application of a step as its own forward pass. Without it, the generated step applies
/// a network once to the concatenated batch where several applications could share a pass (a critic's
/// <c>D(x)</c> and <c>D(G(z))</c>), when the network is batch-independent at run time (no BatchNorm in training
/// mode, no spectral norm, only modules known to treat samples independently). Use it to rule that out for a
/// network whose batch dependence the runtime cannot see, or to compare timings.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SeparateForwardPassesAttribute : Attribute;

/// <summary>
/// After every critic step, clamp every parameter of a network to [<see cref="Min"/>, <see cref="Max"/>]
/// (WGAN: <c>[ClipWeights("D", 0.01)]</c>; RWGAN's asymmetric range: <c>[ClipWeights("D", -0.005, 0.01)]</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class ClipWeightsAttribute : Attribute
{
    /// <summary>Symmetric clipping to [-<paramref name="bound"/>, <paramref name="bound"/>].</summary>
    /// <param name="network">The network's name (<c>"D"</c>).</param>
    /// <param name="bound">A positive bound.</param>
    public ClipWeightsAttribute(string network, double bound) : this(network, -bound, bound) { }

    /// <summary>Clipping to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="network">The network's name (<c>"D"</c>).</param>
    /// <param name="min">Lower bound.</param>
    /// <param name="max">Upper bound, at least <paramref name="min"/>.</param>
    public ClipWeightsAttribute(string network, double min, double max)
    {
        Network = network;
        Min = min;
        Max = max;
    }

    /// <summary>The network whose parameters are clamped.</summary>
    public string Network { get; }

    /// <summary>Lower bound.</summary>
    public double Min { get; }

    /// <summary>Upper bound.</summary>
    public double Max { get; }
}

/// <summary>
/// The paper's optimizer for this loss: Adam (the trainer's default when none is given: lr 2e-4, betas 0.5, 0.999).
/// Without <see cref="Network"/> it is every network's optimizer; with it, that network's own, over the default: the
/// two-time-scale update rule (TTUR, Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
/// Local Nash Equilibrium"), as SAGAN and BigGAN use it, reads
/// <c>[Adam(4e-4, 0, 0.9, Network = "D"), Adam(1e-4, 0, 0.9, Network = "G")]</c>.
/// </summary>
/// <param name="learningRate">Learning rate.</param>
/// <param name="beta1">First-moment decay.</param>
/// <param name="beta2">Second-moment decay.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class AdamAttribute(double learningRate, double beta1 = 0.9, double beta2 = 0.999) : Attribute
{
    /// <summary>Learning rate.</summary>
    public double LearningRate { get; } = learningRate;
    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; } = beta1;
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; } = beta2;
    /// <summary>The network this optimizer trains (<c>"D"</c>); null (the default) for every network without its own.</summary>
    public string? Network { get; set; }
}

/// <summary>
/// The paper's optimizer for this loss: RMSprop without momentum (WGAN: <c>[RMSprop(5e-5)]</c>). With
/// <see cref="Network"/>, that network's own optimizer (see <see cref="AdamAttribute"/>); networks may mix Adam and RMSprop.
/// </summary>
/// <param name="learningRate">Learning rate.</param>
/// <param name="alpha">Smoothing constant of the squared-gradient average.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class RMSpropAttribute(double learningRate, double alpha = 0.99) : Attribute
{
    /// <summary>Learning rate.</summary>
    public double LearningRate { get; } = learningRate;
    /// <summary>Smoothing constant.</summary>
    public double Alpha { get; } = alpha;
    /// <summary>The network this optimizer trains (<c>"D"</c>); null (the default) for every network without its own.</summary>
    public string? Network { get; set; }
}

/// <summary>
/// The body of a DSL macro as source text, for macros the generator sees only as metadata (a
/// compiled library such as <see cref="Penalties"/>). The generator parses the text as the macro's
/// expression; names in it resolve to the macro's parameters, to members of the declaring type,
/// then to <see cref="Vocabulary"/>. Macros declared in the same compilation need no attribute:
/// the generator reads their expression body directly.
/// </summary>
/// <param name="expression">The macro's expression, exactly as its <c>=&gt;</c> body.</param>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, Inherited = false)]
public sealed class MacroAttribute(string expression) : Attribute
{
    /// <summary>The macro's expression.</summary>
    public string Expression { get; } = expression;
}

/// <summary>
/// Declares a class-logit head of a critic, computed in the critic's own forward pass (AC-GAN's auxiliary classifier
/// on the discriminator's trunk: Odena, Olah &amp; Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier
/// GANs"). Put it on a <c>static partial Expr Q(Expr v)</c> method; <c>Q(x)</c> is then the K class logits [B,K] of
/// the pass that gives <c>D(x)</c>, so the trunk runs once per batch. The critic's module returns [B, 1 + H·K]: column 0
/// its score, then the H heads' K logits each, in declaration order (K: the data's number of classes).
/// </summary>
/// <example>
/// <code>
/// [ClassHead("D")]
/// private static partial Expr Q(Expr v);   // AC-GAN: Mean(CrossEntropy(Q(x), y))
/// </code>
/// </example>
/// <param name="network">The critic whose forward pass computes the head (<c>"D"</c>).</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ClassHeadAttribute(string network) : Attribute
{
    /// <summary>The critic whose forward pass computes the head.</summary>
    public string Network { get; } = network;
}
