using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using GanDsl.Generator.Diagnostics;
using GanDsl.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator;

public sealed partial class GanLossGenerator
{
    // Phase (a), declarations: the class, its attributes and its members read into a DeclaredClass, each checked
    // where it is declared (the class's shape, enum arguments, names that hide vocabulary words or generated members).
    internal sealed partial class Parser
    {
        private static readonly Regex s_lossName = new("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant);
        /// <summary>More critic steps than this per generator step is a typo, not a schedule.</summary>
        internal const int MaxCriticSteps = 1000;
        private static readonly string[] s_generatedMembers = { "Info", "Hyper", "State", "s_info", "DiscriminatorStep", "GeneratorStep" };
        private readonly Dictionary<string, NetworkSpec> _networks = new(StringComparer.Ordinal);
        private readonly List<string> _networkOrder = new();
        private readonly Dictionary<IFieldSymbol, HyperSpec> _hypers = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<IPropertySymbol, string> _states = new(SymbolEqualityComparer.Default);
        /// <summary>Class heads by name ([ClassHead("D")] Q), each with its index among its network's heads.</summary>
        private readonly Dictionary<string, ClassHeadSpec> _heads = new(StringComparer.Ordinal);
        private HashSet<string>? _vocabularyNames;

        /// <summary>
        /// What phase (a) read from the class and its members. It holds symbols and locations, so it lives only while the
        /// class is parsed: the spec built from it is plain equatable data.
        /// </summary>
        private sealed class DeclaredClass(TypeDeclarationSyntax syntax, string typeName)
        {
            public Location Identifier { get; } = syntax.Identifier.GetLocation();
            public string TypeName { get; } = typeName;
            public bool IsPartial { get; } = syntax.Modifiers.Any(m => m.IsKind(SyntaxKind.PartialKeyword));
            /// <summary>The name in <c>[GanLoss("name")]</c>; <see cref="Registration"/> is set when it is a valid one.</summary>
            public string LossName { get; set; } = "";
            public Registration? Registration { get; set; }
            public int CriticSteps { get; set; } = 1;
            public bool SeparateForwardPasses { get; set; }
            public List<(string Network, double Min, double Max, Location Where)> Clipping { get; } = new();
            public List<DeclaredOptimizer> Optimizers { get; } = new();
            /// <summary>The declared networks' and class heads' partial methods, which the generated half implements.</summary>
            public List<PartialNetworkSpec> PartialNetworks { get; } = new();
            public List<(IPropertySymbol Property, bool IsDiscriminator)> LossMembers { get; } = new();
            public List<(IPropertySymbol Property, double Initial, StateUpdateTiming Timing)> StateMembers { get; } = new();
            /// <summary>Hyperparameters in declaration order.</summary>
            public List<HyperSpec> Hypers { get; } = new();
            /// <summary>Expr properties without a DSL attribute: macros, each reported as a monitor when it is a scalar.</summary>
            public List<IPropertySymbol> MonitorCandidates { get; } = new();
        }

        /// <summary>Phase (a): the class, its attributes and its members, each checked as a declaration.</summary>
        private DeclaredClass ReadDeclarations(TypeDeclarationSyntax classSyntax, ImmutableArray<AttributeData> attributes)
        {
            var declared = new DeclaredClass(classSyntax, _lossClass.Name);
            CheckClass(classSyntax, declared);
            ReadLossName(attributes.FirstOrDefault(), declared);
            ReadClassAttributes(declared);
            ReadMembers(declared);
            return declared;
        }

        /// <summary>The class itself: partial, not static, nested or generic, instantiable, C# 10 or later.</summary>
        private void CheckClass(TypeDeclarationSyntax classSyntax, DeclaredClass declared)
        {
            var (identifier, typeName) = (declared.Identifier, declared.TypeName);
            if (!declared.IsPartial || _lossClass.IsStatic) Report(DiagnosticDescriptors.ClassNotPartial, identifier, typeName);
            if (_lossClass.ContainingType is { } outer)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, typeName,
                    "is nested in '" + outer.Name + "': declare it directly in a namespace");
            if (_lossClass.IsGenericType)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, typeName, "is generic: remove its type parameters");
            CheckInstantiable(classSyntax, identifier);
            if (classSyntax.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: < LanguageVersion.CSharp10 })
                Report(DiagnosticDescriptors.LanguageVersionTooLow, identifier, typeName);
        }

        /// <summary><c>[GanLoss("name")]</c>: a name usable on the command line (GAN0012) registers the loss.</summary>
        private void ReadLossName(AttributeData? attribute, DeclaredClass declared)
        {
            var lossName = attribute?.ConstructorArguments.FirstOrDefault().Value as string ?? "";
            var nameLocation = AttributeArgumentLocation(attribute, 0) ?? declared.Identifier;
            declared.LossName = lossName;
            if (!s_lossName.IsMatch(lossName)) Report(DiagnosticDescriptors.InvalidLossName, nameLocation, lossName);
            else declared.Registration = new Registration(lossName, _lossClass.ToDisplayString(), nameLocation);
        }

        /// <summary>Class attributes: schedule, clipping, optimizers, separate forward passes.</summary>
        private void ReadClassAttributes(DeclaredClass declared)
        {
            var identifier = declared.Identifier;
            foreach (var attr in _lossClass.GetAttributes())
            {
                var args = attr.ConstructorArguments;
                var type = attr.AttributeClass;
                if (ReadOptimizer(attr) is { } declaredOptimizer) declared.Optimizers.Add(declaredOptimizer);
                if (DslSymbols.Is(type, _symbols.CriticSteps) && args.Length == 1 && args[0].Value is int steps)
                {
                    declared.CriticSteps = steps;
                    if (steps < 1 || steps > MaxCriticSteps)
                        Report(DiagnosticDescriptors.InvalidCriticSteps, AttributeArgumentLocation(attr, 0) ?? identifier,
                            steps.ToString(CultureInfo.InvariantCulture), MaxCriticSteps.ToString(CultureInfo.InvariantCulture));
                }
                else if (DslSymbols.Is(type, _symbols.ClipWeights) && args.Length >= 2 && args[0].Value is string net)
                {
                    var min = args.Length == 3 ? ToDouble(args[1].Value) : -ToDouble(args[1].Value);
                    var max = args.Length == 3 ? ToDouble(args[2].Value) : ToDouble(args[1].Value);
                    declared.Clipping.Add((net, min, max, AttributeLocation(attr) ?? identifier));
                }
                else if (DslSymbols.Is(type, _symbols.SeparateForwardPasses))
                {
                    declared.SeparateForwardPasses = true;
                }
            }
        }

        /// <summary>
        /// The members: the vocabulary's networks G, D and AE, then every member's DSL attributes (networks, hyperparameters
        /// and state first: expressions refer to them); class heads last, since they name networks declared anywhere in the class.
        /// </summary>
        private void ReadMembers(DeclaredClass declared)
        {
            AddNetwork(new NetworkSpec("G", NetworkRole.Generator, NetworkOutput.Sample));
            AddNetwork(new NetworkSpec("D", NetworkRole.Critic, NetworkOutput.Score));
            AddNetwork(new NetworkSpec("AE", NetworkRole.Critic, NetworkOutput.Reconstruction));
            var headDeclarations = new List<(IMethodSymbol Method, AttributeData Attribute)>();
            foreach (var member in _lossClass.GetMembers())
            {
                _ct.ThrowIfCancellationRequested();
                CheckMemberName(member);
                if (member is IPropertySymbol { Parameters.Length: 0 } candidate && IsExpr(candidate.Type)
                    && !candidate.GetAttributes().Any(_symbols.IsDslAttribute))
                    declared.MonitorCandidates.Add(candidate);
                foreach (var attr in member.GetAttributes())
                    ReadMemberAttribute(member, attr, declared, headDeclarations);
            }
            foreach (var (method, attr) in headDeclarations) DeclareClassHead(method, attr, declared.PartialNetworks);
            CheckGeneratedNames(declared.StateMembers.Any(s => s.Timing == StateUpdateTiming.EndOfEpoch));
        }

        /// <summary>One attribute of a member: a loss, hyperparameter, state, network or class head (collected in <paramref name="heads"/>).</summary>
        private void ReadMemberAttribute(ISymbol member, AttributeData attr, DeclaredClass declared,
            List<(IMethodSymbol Method, AttributeData Attribute)> heads)
        {
            var args = attr.ConstructorArguments;
            var type = attr.AttributeClass;
            if (DslSymbols.Is(type, _symbols.DiscriminatorLoss) && member is IPropertySymbol discriminatorLoss)
                declared.LossMembers.Add((discriminatorLoss, true));
            else if (DslSymbols.Is(type, _symbols.GeneratorLoss) && member is IPropertySymbol generatorLoss)
                declared.LossMembers.Add((generatorLoss, false));
            else if (DslSymbols.Is(type, _symbols.Hyper) && member is IFieldSymbol f)
            {
                if (!f.IsConst || f.ConstantValue is null || !IsNumeric(f.ConstantValue))
                {
                    Report(DiagnosticDescriptors.HyperNotConstant, LocationOf(f), f.Name);
                    return;
                }
                var hyper = new HyperSpec(f.Name, ToDouble(f.ConstantValue), DocSummary(f));
                if (double.IsNaN(hyper.Default) || double.IsInfinity(hyper.Default))
                    Report(DiagnosticDescriptors.ConstantCannotRun, LocationOf(f), "The default of hyperparameter '" + f.Name + "'", Format(hyper.Default),
                        "give it a finite default");
                _hypers[f] = hyper;
                declared.Hypers.Add(hyper);
            }
            else if (DslSymbols.Is(type, _symbols.State) && member is IPropertySymbol p && args.Length == 2)
            {
                var initial = ToDouble(args[0].Value);
                if (double.IsNaN(initial) || double.IsInfinity(initial))
                    Report(DiagnosticDescriptors.ConstantCannotRun, AttributeArgumentLocation(attr, 0) ?? LocationOf(p),
                        "The initial value of state '" + p.Name + "'", Format(initial), "give it a finite initial value");
                if (!EnumInRange<StateUpdateTiming>(attr, 1)) return;
                declared.StateMembers.Add((p, initial, (StateUpdateTiming)Convert.ToInt32(args[1].Value ?? 0, CultureInfo.InvariantCulture)));
                _states[p] = p.Name;
            }
            else if (DslSymbols.Is(type, _symbols.ClassHead) && member is IMethodSymbol head)
                heads.Add((head, attr));
            else if (DslSymbols.Is(type, _symbols.Network) && member is IMethodSymbol m && args.Length == 2)
            {
                if (!EnumInRange<NetworkRole>(attr, 0) | !EnumInRange<NetworkOutput>(attr, 1))
                    return;
                DeclareNetwork(m, (NetworkRole)Convert.ToInt32(args[0].Value ?? 0, CultureInfo.InvariantCulture),
                    (NetworkOutput)Convert.ToInt32(args[1].Value ?? 0, CultureInfo.InvariantCulture), declared.PartialNetworks);
            }
        }

        // ----- networks and class heads -----

        private void AddNetwork(NetworkSpec spec)
        {
            if (!_networks.ContainsKey(spec.Name)) _networkOrder.Add(spec.Name);
            _networks[spec.Name] = spec;
        }

        private void DeclareNetwork(IMethodSymbol method, NetworkRole role, NetworkOutput output, List<PartialNetworkSpec> partials)
        {
            // E(Expr v), or E(Expr v, Expr label) for a network the loss applies with class labels.
            if (method.Parameters.Length is not (1 or 2) || method.Parameters.Any(p => !IsExpr(p.Type)) || !IsExpr(method.ReturnType) || !method.IsStatic
                || method.IsGenericMethod)
            {
                Report(DiagnosticDescriptors.InvalidNetworkDeclaration, LocationOf(method), method.Name);
                return;
            }
            AddNetwork(new NetworkSpec(method.Name, role, output));
            AddPartial(method, partials, headOf: null);
        }

        private void AddPartial(IMethodSymbol method, List<PartialNetworkSpec> partials, string? headOf)
        {
            if (!method.IsPartialDefinition || method.PartialImplementationPart is not null) return;
            var syntax = Read(method.DeclaringSyntaxReferences.FirstOrDefault()) as MethodDeclarationSyntax;
            var modifiers = syntax is null ? "private static partial" : string.Join(" ", syntax.Modifiers.Select(m => m.ValueText));
            partials.Add(new PartialNetworkSpec(method.Name, modifiers, method.Parameters[0].Name,
                method.Parameters.Length > 1 ? method.Parameters[1].Name : null, headOf));
        }

        /// <summary>
        /// <c>[ClassHead("D")] static partial Expr Q(Expr v)</c>: a class head of a score critic, the next of that critic's
        /// heads in declaration order (its module's output grows by K columns).
        /// </summary>
        private void DeclareClassHead(IMethodSymbol method, AttributeData attribute, List<PartialNetworkSpec> partials)
        {
            var network = attribute.ConstructorArguments.FirstOrDefault().Value as string ?? "";
            var where = AttributeArgumentLocation(attribute, 0) ?? LocationOf(method);
            string? problem = null;
            if (method.Parameters.Length != 1 || !IsExpr(method.Parameters[0].Type) || !IsExpr(method.ReturnType) || !method.IsStatic || method.IsGenericMethod)
                (problem, where) = ("must be declared 'private static partial Expr " + method.Name + "(Expr v);' (one batch, no labels)", LocationOf(method));
            else if (DslSymbols.Has(method, _symbols.Network))
                (problem, where) = ("is also declared a [Network]: a method is a network or a class head, not both; remove one attribute", LocationOf(method));
            else if (!_networks.TryGetValue(network, out var spec))
                problem = "names '" + network + "', which is no network of this loss: name a critic, e.g. [ClassHead(\"D\")]" +
                    (NearestNames(network, _networks.Keys).FirstOrDefault() is { } near ? " (did you mean '" + near + "'?)" : "");
            else if (spec.Role != NetworkRole.Critic || spec.Output != NetworkOutput.Score)
                problem = "names '" + network + "', a " + spec.Role.ToString().ToLowerInvariant() + " network with " + spec.Output
                    + " output: a class head shares the forward pass of a critic with Score output (its module returns [B, 1 + H·K]); name one, "
                    + "e.g. [ClassHead(\"D\")]";
            if (problem is not null)
            {
                Report(DiagnosticDescriptors.InvalidClassHead, where, method.Name, problem);
                // A well-formed declaration still gets its other half, so no compiler error piles onto this one.
                if (method.Parameters.Length == 1 && !DslSymbols.Has(method, _symbols.Network)) AddPartial(method, partials, headOf: network);
                return;
            }
            var owner = _networks[network];
            _heads[method.Name] = new ClassHeadSpec(method.Name, network, owner.ClassHeads);
            _networks[network] = owner with { ClassHeads = owner.ClassHeads + 1 };
            AddPartial(method, partials, headOf: network);
        }

        // Lowering: C# expression syntax -> IR

        // ----- checks on declarations -----

        /// <summary>The trainer creates the loss with its public parameterless constructor; the generator writes a class, not a record.</summary>
        private void CheckInstantiable(TypeDeclarationSyntax syntax, Location identifier)
        {
            var name = _lossClass.Name;
            if (syntax is RecordDeclarationSyntax)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name, "is a record: declare it 'public partial class " + name + "'");
            else if (_lossClass.IsAbstract && !_lossClass.IsStatic)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name,
                    "is abstract: remove 'abstract' (the trainer creates an instance of the loss class)");
            else if (!_lossClass.IsStatic && !_lossClass.InstanceConstructors.Any(c => c.Parameters.Length == 0
                && c.DeclaredAccessibility == Accessibility.Public))
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name,
                    "has no public parameterless constructor: add 'public " + name + "() { }' (the trainer creates the loss with it)");
        }

        /// <summary>
        /// An enum argument cast from an integer outside the enum would print as code that does not compile. The enum is
        /// the DSL's own (src/Dsl/Enums.cs, linked into the generator): its members are read, not typed in.
        /// </summary>
        private bool EnumInRange<TEnum>(AttributeData attribute, int index) where TEnum : struct, Enum
        {
            var enumName = typeof(TEnum).Name;
            var names = Enum.GetNames(typeof(TEnum));
            var members = string.Join(", ", names.Select(n => enumName + "." + n));
            var value = Convert.ToInt64(attribute.ConstructorArguments[index].Value ?? 0L, CultureInfo.InvariantCulture);
            if (value >= 0 && value < names.Length) return true;
            var location = AttributeArgumentLocation(attribute, index) ?? LocationOf(_lossClass);
            var text = Read(attribute.ApplicationSyntaxReference) is AttributeSyntax { ArgumentList: { } list } && index < list.Arguments.Count
                ? Normalize(list.Arguments[index]) : "(" + enumName + ")" + value.ToString(CultureInfo.InvariantCulture);
            Report(DiagnosticDescriptors.EnumValueOutOfRange, location, text, enumName, members);
            return false;
        }

        /// <summary>A member named like a vocabulary member (a hyperparameter 'x') silently changes what loss expressions mean.</summary>
        private void CheckMemberName(ISymbol member)
        {
            if (member.IsImplicitlyDeclared || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) return;
            // A macro method named like a word ('static Expr Mean(Expr v) => ...') is what C# calls in this class: the user's own word.
            if (member is IMethodSymbol method && IsMacroCandidate(method, method.ReturnType) && !method.GetAttributes().Any(_symbols.IsDslAttribute)) return;
            _vocabularyNames ??= new HashSet<string>(
                _symbols.Vocabulary?.GetMembers().Where(m => m.CanBeReferencedByName).Select(m => m.Name) ?? Enumerable.Empty<string>(),
                StringComparer.Ordinal);
            if (_vocabularyNames.Contains(member.Name)) Report(DiagnosticDescriptors.NameHidesVocabulary, LocationOf(member), member.Name);
        }

        /// <summary>Members the generated half declares; a user member of the same name would not compile.</summary>
        private void CheckGeneratedNames(bool writesEndOfEpoch)
        {
            foreach (var member in _lossClass.GetMembers())
            {
                if (member.IsImplicitlyDeclared || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) continue;
                if (s_generatedMembers.Contains(member.Name) || (writesEndOfEpoch && member.Name == "EndOfEpoch"))
                    Report(DiagnosticDescriptors.GeneratedMemberCollision, LocationOf(member), member.Name, "the IGanLoss implementation");
            }
        }
    }
}
