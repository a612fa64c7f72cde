using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. Ranges: GAN0001-0019 declarations and vocabulary,
/// GAN0020-0039 shapes and networks, GAN0040-0059 schedules and state, GAN0060-0069 environment,
/// GAN0099 internal. Each message says what to write instead; arguments are strings.
/// Keep AnalyzerReleases.Unshipped.md in step with this file.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "GanDsl.Declaration";
    private const string Shapes = "GanDsl.Shapes";
    private const string Schedule = "GanDsl.Schedule";
    private const string Environment = "GanDsl.Environment";
    private const string HelpLink = "https://github.com/gandsl/gandsl/blob/main/docs/generator.md#diagnostics";

    private static DiagnosticDescriptor Error(string id, string title, string message, string category, bool configurable = false) =>
        new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink,
            customTags: configurable ? new string[0] : new[] { WellKnownDiagnosticTags.NotConfigurable });

    private static DiagnosticDescriptor Warning(string id, string title, string message, string category) =>
        new(id, title, message, category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink);

    // ----- declarations and vocabulary -----

    public static readonly DiagnosticDescriptor ClassNotPartial = Error("GAN0001",
        "Loss class must be a non-static partial class",
        "Loss class '{0}' must be declared 'partial' and not 'static': write 'public partial class {0}' so the generator can add the IGanLoss implementation",
        Declaration);

    public static readonly DiagnosticDescriptor LossNotExpression = Error("GAN0002",
        "Loss member is not an expression-bodied property",
        "'{0}' must be an expression-bodied property: write 'static Loss {0} => <expression>;'",
        Declaration);

    public static readonly DiagnosticDescriptor NotInVocabulary = Error("GAN0003",
        "Not in the loss vocabulary",
        "'{0}' is not part of the GanDsl vocabulary: use the members of GanDsl.Vocabulary (Log, Mean, D, ...), a [Hyper] constant, or an expression-bodied " +
            "Expr helper (a macro)",
        Declaration);

    public static readonly DiagnosticDescriptor HyperNotConstant = Error("GAN0004",
        "Hyperparameter is not a compile-time constant",
        "Hyperparameter '{0}' must be a compile-time constant: write '[Hyper] const double {0} = <value>;' (runs override it by name)",
        Declaration);

    public static readonly DiagnosticDescriptor DuplicateLossName = Error("GAN0005",
        "Two losses have the same name",
        "Loss name '{0}' is already used by '{1}': give each [GanLoss(\"...\")] a unique name",
        Declaration);

    public static readonly DiagnosticDescriptor MissingGeneratorLoss = Error("GAN0006",
        "Loss class has no generator loss",
        "Loss class '{0}' needs one [GeneratorLoss] property: add '[GeneratorLoss] static Loss Generator => <expression>;'",
        Declaration);

    public static readonly DiagnosticDescriptor DuplicateLossMember = Error("GAN0007",
        "More than one loss of the same kind",
        "'{0}' is a second [{1}] member: a loss class has at most one; combine the terms into one expression",
        Declaration);

    public static readonly DiagnosticDescriptor RecursiveMacro = Error("GAN0008",
        "Macro refers to itself",
        "Macro '{0}' uses itself (directly or through another macro), so it cannot be inlined: write the expression without the cycle",
        Declaration);

    public static readonly DiagnosticDescriptor UnsupportedSyntax = Error("GAN0009",
        "Unsupported expression form",
        "'{0}' cannot appear in a loss expression: use numbers, operators (+ - * /), vocabulary calls, hyperparameters, state and macros",
        Declaration);

    public static readonly DiagnosticDescriptor UnsupportedDeclaration = Error("GAN0010",
        "Unsupported loss class declaration",
        "Loss class '{0}' {1}",
        Declaration);

    public static readonly DiagnosticDescriptor InvalidNetworkDeclaration = Error("GAN0011",
        "Invalid network declaration",
        "Network '{0}' must be declared as 'private static partial Expr {0}(Expr v);' (one Expr parameter, returning Expr), or 'private static partial Expr " +
            "{0}(Expr v, Expr label);' for a network applied with class labels",
        Declaration);

    public static readonly DiagnosticDescriptor InvalidLossName = Error("GAN0012",
        "Invalid loss name",
        "Loss name '{0}' is not usable on the command line: use lower-case letters, digits and '-' (e.g. \"wgan-gp\")",
        Declaration);

    public static readonly DiagnosticDescriptor NameHidesVocabulary = Error("GAN0013",
        "Member hides a vocabulary name",
        "'{0}' hides GanDsl.Vocabulary.{0}, so '{0}' in a loss would mean this member, not the vocabulary's: rename it (e.g. '{0}Value')",
        Declaration);

    public static readonly DiagnosticDescriptor UnsupportedMacroSignature = Error("GAN0014",
        "Unsupported macro signature",
        "Macro '{0}' has parameter '{1}' declared '{2}': a macro's parameters must be plain 'Expr' or 'double' (no params, ref, out or in); write one " +
            "parameter per value",
        Declaration);

    public static readonly DiagnosticDescriptor UndeclaredName = Error("GAN0015",
        "Undeclared name in a loss",
        "'{0}' is not declared: {1}",
        Declaration);

    public static readonly DiagnosticDescriptor GeneratedMemberCollision = Error("GAN0016",
        "Member name used by the generated code",
        "'{0}' is a member the generator adds to a loss class ({1}): rename it",
        Declaration);

    public static readonly DiagnosticDescriptor EnumValueOutOfRange = Error("GAN0017",
        "Value is not a member of its enum",
        "'{0}' is not a defined {1}: use one of {2}",
        Declaration);

    public static readonly DiagnosticDescriptor ExpressionTooDeep = Error("GAN0018",
        "Expression too deep",
        "This expression is nested more than {0} levels deep (after inlining macros), or sums or multiplies more than 10000 terms: split it into macros that " +
            "are summed or reduced separately, or write a shorter expression",
        Declaration);

    public static readonly DiagnosticDescriptor IntegerArithmeticOnHyper = Error("GAN0019",
        "Integer arithmetic on a hyperparameter",
        "'{0}' is integer arithmetic in C# on hyperparameter '{1}', which runs can set to any number: write it with a double (e.g. '{1} / 2.0'), or declare " +
            "'[Hyper] const double {1}'",
        Declaration);

    // ----- shapes and networks -----

    public static readonly DiagnosticDescriptor LossNotScalar = Error("GAN0020",
        "Loss is not a scalar",
        "The loss '{0}' is {1}, not a scalar: reduce it, e.g. 'Mean(...)'",
        Shapes);

    public static readonly DiagnosticDescriptor DiscriminatorLossWithoutCritic = Error("GAN0021",
        "Discriminator loss does not depend on a critic",
        "The discriminator loss '{0}' sends no gradient to any critic-role network, so its step trains nothing (StopGradient, Step and Std pass no gradient, " +
            "and G(z) is a constant in this step): use D(...) (or a declared critic) outside them",
        Shapes);

    public static readonly DiagnosticDescriptor GeneratorLossWithoutGenerator = Error("GAN0022",
        "Generator loss does not reach G",
        "The generator loss '{0}' sends no gradient to G, so its step trains nothing (StopGradient, Step and Std pass no gradient): use G(z) outside them, " +
            "e.g. '-Mean(D(G(z)))'",
        Shapes);

    public static readonly DiagnosticDescriptor LogOfUnboundedCriticOutput = Warning("GAN0023",
        "Log of an unbounded critic output",
        "'{0}' takes the log of '{1}', an unbounded critic output that can be negative: if the critic outputs a logit, write '{2}' (the same loss with the " +
            "critic's output read as the probability sigmoid(logit)); for a critic score, drop the Log",
        Shapes);

    public static readonly DiagnosticDescriptor ExpOfUnboundedCriticOutput = Warning("GAN0026",
        "Exp of an unbounded critic output",
        "'{0}' takes the exponential of '{1}', an unbounded critic output: it overflows to infinity once the output passes about 88 (float32), and the loss " +
            "becomes NaN or infinite; {2}",
        Shapes);

    public static readonly DiagnosticDescriptor GradWithoutDependence = Error("GAN0024",
        "Gradient of a value that does not depend on its input",
        "'{0}' has no gradient path from its value to '{1}' in the {2} (StopGradient, Step, Std, random draws and constants pass no gradient, and G is a " +
            "constant in the critic step): differentiate an expression that uses '{1}' directly, e.g. 'Grad(D({1}), {1})'",
        Shapes);

    public static readonly DiagnosticDescriptor ShapeMismatch = Error("GAN0025",
        "Operand has the wrong shape",
        "'{0}' needs {1}, but '{2}' is {3}",
        Shapes);

    // ----- class labels and class outputs (conditional GANs) -----

    public static readonly DiagnosticDescriptor LabelsMisused = Error("GAN0027",
        "Class labels used as numbers",
        "'{0}' is class labels, which {1} cannot read: labels are class indices, not numbers; pass them only as a network's label argument " +
            "('D(x, y)', 'G(z, yz)') or as CrossEntropy's labels ('CrossEntropy(Q(x), y)')",
        Shapes);

    public static readonly DiagnosticDescriptor CrossEntropyOperand = Error("GAN0028",
        "CrossEntropy of something that is not class logits and labels",
        "CrossEntropy's {0} must be {1}, but '{2}' is {3}: {4}",
        Shapes);

    public static readonly DiagnosticDescriptor InvalidLabelArgument = Error("GAN0029",
        "Label argument is not y or yz",
        "The label argument '{0}' of '{1}' is {2}: write y (the real batch's labels) or yz (the labels drawn with z) itself, " +
            "e.g. 'D(x, y)' or 'D(G(z, yz), yz)'",
        Shapes);

    public static readonly DiagnosticDescriptor NetworkLabelsMixed = Error("GAN0030",
        "Network applied both with and without labels",
        "'{0}' applies network {1} {2} labels, but '{3}' applies it {4}: a network takes labels in all its applications or in none (with labels its module " +
            "is an nn.Module<Tensor, Tensor, Tensor> taking (batch, labels)); write {5}",
        Shapes);

    public static readonly DiagnosticDescriptor ClassHeadOfConditionalNetwork = Error("GAN0031",
        "Class head of a network applied with labels",
        "Network {1} has class head '{0}', but '{2}' applies {1} with labels: class heads of a label-taking network are not supported; apply {1} without " +
            "labels (AC-GAN: '{1}(x)' and '{0}(x)'), or declare the classifier as a network of its own, " +
            "'[Network(NetworkRole.Critic, NetworkOutput.ClassLogits)] static partial Expr C(Expr v);'",
        Shapes);

    public static readonly DiagnosticDescriptor InvalidClassHead = Error("GAN0032",
        "Invalid class head declaration",
        "Class head '{0}' {1}",
        Shapes);

    // ----- schedules and state -----

    public static readonly DiagnosticDescriptor InvalidCriticSteps = Error("GAN0040",
        "Critic steps must be positive",
        "CriticSteps({0}) must be between 1 and {1}: write e.g. [CriticSteps(5)]",
        Schedule);

    public static readonly DiagnosticDescriptor InvalidClipping = Error("GAN0041",
        "Invalid weight clipping",
        "ClipWeights for '{0}' {1}",
        Schedule);

    public static readonly DiagnosticDescriptor StateUpdateNotScalar = Error("GAN0042",
        "State update is not a scalar",
        "The update of state '{0}' is {1}, not a scalar: reduce it, e.g. 'Mean(...)'",
        Schedule);

    public static readonly DiagnosticDescriptor InvalidStateDeclaration = Error("GAN0043",
        "Invalid state declaration",
        "State '{0}' must be an expression-bodied property whose body is its update rule: write '[State(0, StateUpdateTiming.AfterCriticStep)] static Expr " +
            "{0} => <new value>;'",
        Schedule);

    public static readonly DiagnosticDescriptor InvalidOptimizer = Error("GAN0044",
        "Invalid optimizer setting",
        "The {0} of [{1}] is {2}: {3}",
        Schedule);

    public static readonly DiagnosticDescriptor ConstantCannotRun = Error("GAN0045",
        "Constant that cannot run",
        "{0} is {1}, which cannot run: {2}",
        Schedule);

    public static readonly DiagnosticDescriptor InvalidNetworkOptimizer = Error("GAN0046",
        "Invalid per-network optimizer",
        "[{0}] {1}",
        Schedule);

    // ----- environment -----

    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error("GAN0060",
        "C# 10 or later is required",
        "The code generated for '{0}' uses file-scoped namespaces, which need C# 10: set <LangVersion>10</LangVersion> or later",
        Environment);

    // ----- internal -----

    public static readonly DiagnosticDescriptor InternalError = Error("GAN0099",
        "GanDsl generator internal error",
        "The GanDsl generator failed while {0}: {1}. Please report this with the loss that triggers it.",
        Environment);
}
