using System.Collections.Generic;
using System.Linq;
using GanDsl.Generator.Diagnostics;
using GanDsl.Generator.Helpers;
using GanDsl.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator;

public sealed partial class GanLossGenerator
{
    // The loss's optimizers: one class-level [Adam]/[RMSprop] for every network, and per-network ones
    // (Network = "D") over it, the two-time-scale update rule (Heusel et al. 2017) of SAGAN and BigGAN.
    internal sealed partial class Parser
    {
        /// <summary>An optimizer attribute as read: its settings, the network it names (null: the default), where it is.</summary>
        private sealed record DeclaredOptimizer(OptimizerSpec Spec, string? Network, string Attribute, AttributeData Data);

        /// <summary>Reads and checks the settings of an <c>[Adam]</c> or <c>[RMSprop]</c> attribute (GAN0044); null when it is not one.</summary>
        private DeclaredOptimizer? ReadOptimizer(AttributeData attr)
        {
            var args = attr.ConstructorArguments;
            var network = attr.NamedArguments.FirstOrDefault(a => a.Key == "Network").Value.Value as string;
            if (DslSymbols.Is(attr.AttributeClass, _symbols.Adam) && args.Length == 3)
            {
                var spec = new OptimizerSpec("adam", ToDouble(args[0].Value), ToDouble(args[1].Value), ToDouble(args[2].Value), 0.99);
                CheckOptimizer(attr, "Adam", spec.LearningRate, ("beta1", spec.Beta1, 1), ("beta2", spec.Beta2, 2));
                return new DeclaredOptimizer(spec, network, "Adam", attr);
            }
            if (DslSymbols.Is(attr.AttributeClass, _symbols.RMSprop) && args.Length == 2)
            {
                var spec = new OptimizerSpec("rmsprop", ToDouble(args[0].Value), 0.9, 0.999, ToDouble(args[1].Value));
                CheckOptimizer(attr, "RMSprop", spec.LearningRate, ("alpha", spec.Alpha, 1));
                return new DeclaredOptimizer(spec, network, "RMSprop", attr);
            }
            return null;
        }

        private void CheckOptimizer(AttributeData attribute, string kind, double learningRate, params (string Name, double Value, int Index)[] fractions)
        {
            var example = kind == "Adam" ? "[Adam(2e-4, 0.5, 0.999)]" : "[RMSprop(5e-5, 0.99)]";
            if (!(learningRate > 0) || double.IsInfinity(learningRate))
                Report(DiagnosticDescriptors.InvalidOptimizer, AttributeArgumentLocation(attribute, 0) ?? LocationOf(_lossClass), "learning rate", kind,
                    Format(learningRate),
                    "use a positive finite learning rate, e.g. " + example);
            foreach (var (name, value, index) in fractions)
                if (!(value >= 0 && value < 1))
                    Report(DiagnosticDescriptors.InvalidOptimizer, AttributeArgumentLocation(attribute, index) ?? LocationOf(_lossClass), name, kind,
                        Format(value),
                        "use a value in [0, 1), e.g. " + example);
        }

        /// <summary>
        /// The default optimizer (the one without <c>Network</c>, else the standard one) and the per-network ones, checked
        /// against the networks the loss uses (GAN0046): each names one of them, at most once, and one default at most.
        /// Kinds may differ between networks: the trainer builds one optimizer per network.
        /// </summary>
        private (OptimizerSpec Default, EquatableArray<NetworkOptimizerSpec> PerNetwork) ResolveOptimizers(
            IReadOnlyList<DeclaredOptimizer> declared, ISet<string> used, IReadOnlyList<NetworkSpec> networks, Location fallback)
        {
            var defaults = declared.Where(d => d.Network is null).ToList();
            foreach (var extra in defaults.Skip(1))
                Report(DiagnosticDescriptors.InvalidNetworkOptimizer, AttributeLocation(extra.Data) ?? fallback, extra.Attribute,
                    "is a second optimizer for every network: keep one without Network, and give the others their network, e.g. [" + extra.Attribute
                        + "(..., Network = \"D\")]");
            var perNetwork = new List<NetworkOptimizerSpec>();
            var seen = new HashSet<string>(System.StringComparer.Ordinal);
            var names = string.Join(", ", networks.Select(n => "\"" + n.Name + "\""));
            foreach (var d in declared)
            {
                if (d.Network is not { } network) continue;
                var where = NetworkArgumentLocation(d.Data) ?? fallback;
                if (!used.Contains(network))
                    Report(DiagnosticDescriptors.InvalidNetworkOptimizer, where, d.Attribute + "(..., Network = \"" + network + "\")",
                        "names no network the loss uses: write Network = one of " + names);
                else if (!seen.Add(network))
                    Report(DiagnosticDescriptors.InvalidNetworkOptimizer, where, d.Attribute + "(..., Network = \"" + network + "\")",
                        "is the second optimizer for '" + network + "': keep one [Adam(..., Network = \"" + network + "\")] or [RMSprop(..., Network = \""
                            + network + "\")]");
                else perNetwork.Add(new NetworkOptimizerSpec(network, d.Spec));
            }
            // In the loss's network order, so LossInfo and 'gan list' read the same whatever the attributes' order.
            var ordered = networks.SelectMany(n => perNetwork.Where(p => p.Network == n.Name)).ToEquatableArray();
            return (defaults.Count > 0 ? defaults[0].Spec : OptimizerSpec.Standard, ordered);
        }

        /// <summary>Where <c>Network = "..."</c> is written in the attribute, else where the attribute is.</summary>
        private Location? NetworkArgumentLocation(AttributeData attribute) =>
            Read(attribute.ApplicationSyntaxReference) is AttributeSyntax { ArgumentList: { } list }
            && list.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Network") is { } argument
                ? argument.GetLocation()
                : AttributeLocation(attribute);
    }
}
