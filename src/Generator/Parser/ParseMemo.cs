using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator;

public sealed partial class GanLossGenerator
{
    /// <summary>
    /// Remembers each loss class's <see cref="ParseResult"/> across runs of one generator instance, so an
    /// edit re-parses only the classes it can affect. <c>ForAttributeWithMetadataName</c> re-runs every
    /// transform on any compilation change (each gets a new semantic model), and binding 50 loss classes
    /// is most of an edit cycle's cost; the memo returns the previous result object instead (the
    /// <c>GanDsl.Parsed</c> step then reports it <c>Unchanged</c>).
    /// </summary>
    /// <remarks>
    /// A remembered result is reused only while nothing it was computed from can have changed:
    /// <list type="letter">
    /// <item>The class's own tree is the same object (Roslyn reuses the tree of an unedited file; any edit
    /// makes a new one), and the class has the same declaring trees: a partial part added, removed or edited
    /// elsewhere adds members the parse would read.</item>
    /// <item>Every other tree the parse read (macro bodies, the declarations of constants and macros it
    /// resolved) is the same object and still in the compilation: a macro's body is not part of the
    /// declaration signature below, so only this catches an edit of it.</item>
    /// <item>The metadata references are the same objects: a rebuilt referenced assembly can change the
    /// vocabulary, <c>[Macro]</c> texts or constants. The compilation options are the same object too.</item>
    /// <item>The declaration signature of the whole compilation is unchanged: a new or edited declaration in a
    /// file the parse never read can still change what a name binds to (a type or static member that shadows
    /// one, a <c>using</c>, a global alias, a constant's initialiser another constant reads). Bodies are left
    /// out of it, because no body can change binding outside itself; that is what makes a body-only edit,
    /// the common case while typing, free for the other classes.</item>
    /// </list>
    /// Diagnostics in a remembered result keep their locations: they point into trees that (a) and (b) say
    /// are the same objects. Every lookup is guarded: if the memo itself fails, the class is simply parsed.
    /// Held per generator instance (the compiler and the IDE keep one per analyzer reference), never static,
    /// and keyed weakly on trees and compilations so nothing outlives the edits that made it.
    /// </remarks>
    internal sealed class ParseMemo
    {
        private readonly ConditionalWeakTable<SyntaxTree, ConcurrentDictionary<int, Entry>> _entries = new();
        private readonly ConditionalWeakTable<SyntaxTree, TreeSignature> _treeSignatures = new();
        private readonly ConditionalWeakTable<Compilation, Environment> _environments = new();
        private readonly object _environmentGate = new();
        private Environment? _lastEnvironment;
        private int _parses;
        private int _hits;

        /// <summary>How many classes were parsed (memo misses); for tests and the benchmark.</summary>
        public int Parses => Volatile.Read(ref _parses);

        /// <summary>How many parse results were reused.</summary>
        public int Hits => Volatile.Read(ref _hits);

        /// <summary>The pipeline's transform: a remembered result if still valid, else a fresh parse.</summary>
        public ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            Environment? environment = null;
            SyntaxTree[]? declaringTrees = null;
            var tree = context.TargetNode.SyntaxTree;
            var position = context.TargetNode.SpanStart;
            try
            {
                var compilation = context.SemanticModel.Compilation;
                environment = EnvironmentOf(compilation, ct);
                declaringTrees = context.TargetSymbol.DeclaringSyntaxReferences.Select(r => r.SyntaxTree).ToArray();
                if (_entries.TryGetValue(tree, out var byPosition) && byPosition.TryGetValue(position, out var entry)
                    && entry.IsValidFor(environment, declaringTrees, compilation))
                {
                    Interlocked.Increment(ref _hits);
                    return entry.Result;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                environment = null;   // the memo failed: parse, and remember nothing
            }

            Interlocked.Increment(ref _parses);
            var result = Parser.Parse(context, ct, out var treesRead);
            if (environment is not null && declaringTrees is not null && treesRead is not null)
                _entries.GetOrCreateValue(tree)[position] = new Entry(result, environment, declaringTrees, treesRead.ToArray());
            return result;
        }

        /// <summary>
        /// The references, options and declaration signature of a compilation, as one object: the previous
        /// compilation's when all three are equal, so an entry checks (c) and (d) by reference.
        /// </summary>
        private Environment EnvironmentOf(Compilation compilation, CancellationToken ct)
        {
            if (_environments.TryGetValue(compilation, out var known)) return known;
            lock (_environmentGate)
            {
                if (_environments.TryGetValue(compilation, out known)) return known;
                var references = compilation.References.ToArray();
                var signature = 0UL;
                var treeCount = 0;
                foreach (var tree in compilation.SyntaxTrees)
                {
                    ct.ThrowIfCancellationRequested();
                    signature += _treeSignatures.GetValue(tree, static t => new TreeSignature(DeclarationSignature.Of(t))).Value;
                    treeCount++;
                }
                signature += DeclarationSignature.Mix((ulong)treeCount);

                var last = _lastEnvironment;
                var environment = last is not null && last.Signature == signature && last.TreeCount == treeCount
                    && ReferenceEquals(last.Options, compilation.Options) && last.References.SequenceEqual(references, SameObject.Instance)
                    ? last
                    : new Environment(references, compilation.Options, signature, treeCount);
                _environments.Add(compilation, environment);
                _lastEnvironment = environment;
                return environment;
            }
        }

        /// <summary>What an entry was computed under (conditions c and d); compared by reference.</summary>
        private sealed class Environment(MetadataReference[] references, CompilationOptions options, ulong signature, int treeCount)
        {
            public MetadataReference[] References { get; } = references;
            public CompilationOptions Options { get; } = options;
            public ulong Signature { get; } = signature;
            public int TreeCount { get; } = treeCount;
        }

        private sealed class TreeSignature(ulong value)
        {
            public ulong Value { get; } = value;
        }

        private sealed class Entry(ParseResult result, Environment environment, SyntaxTree[] declaringTrees, SyntaxTree[] treesRead)
        {
            public ParseResult Result { get; } = result;

            public bool IsValidFor(Environment current, SyntaxTree[] currentDeclaringTrees, Compilation compilation)
            {
                if (!ReferenceEquals(environment, current)) return false;                             // (c), (d)
                if (declaringTrees.Length != currentDeclaringTrees.Length) return false;              // (a)
                for (var i = 0; i < declaringTrees.Length; i++)
                    if (!ReferenceEquals(declaringTrees[i], currentDeclaringTrees[i])) return false;
                foreach (var tree in treesRead)                                                      // (b)
                    if (!compilation.ContainsSyntaxTree(tree)) return false;
                return true;
            }
        }

        private sealed class SameObject : IEqualityComparer<MetadataReference>
        {
            public static readonly SameObject Instance = new();
            public bool Equals(MetadataReference? x, MetadataReference? y) => ReferenceEquals(x, y);
            public int GetHashCode(MetadataReference obj) => RuntimeHelpers.GetHashCode(obj);
        }
    }

    /// <summary>
    /// A 64-bit hash of what a file declares, leaving out what no other code can see: bodies of methods,
    /// accessors and expression-bodied members, initialisers of non-constant fields and properties,
    /// top-level statements, comments and whitespace. Kept: usings and aliases, namespaces, type and member
    /// declarations (names, kinds, modifiers, types, parameters and their defaults, base lists, constraints),
    /// attributes, and constant and enum-member initialisers (constants are read by value across files).
    /// </summary>
    internal static class DeclarationSignature
    {
        private const ulong FnvOffset = 14695981039346656037UL;
        private const ulong FnvPrime = 1099511628211UL;

        /// <summary>The signature of one tree (its path included: <c>file</c> types are visible per file).</summary>
        public static ulong Of(SyntaxTree tree)
        {
            var hash = Add(FnvOffset, tree.FilePath);
            hash = Walk(tree.GetRoot(), hash);
            return Mix(hash);
        }

        /// <summary>A finaliser (splitmix64) so that summing tree signatures stays well distributed.</summary>
        public static ulong Mix(ulong z)
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        private static ulong Walk(SyntaxNode node, ulong hash)
        {
            foreach (var child in node.ChildNodesAndTokens())
            {
                if (child.IsToken)
                {
                    hash = Add(hash, child.AsToken().Text);
                    continue;
                }
                var childNode = child.AsNode()!;
                if (IsHidden(childNode))
                {
                    // A marker keeps "has a body" apart from "has none" (an abstract or partial declaration).
                    hash = Add(hash, "\u0001" + childNode.RawKind.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    continue;
                }
                hash = Walk(childNode, hash);
            }
            return hash;
        }

        private static bool IsHidden(SyntaxNode node) => node switch
        {
            BlockSyntax or ArrowExpressionClauseSyntax or GlobalStatementSyntax => true,
            EqualsValueClauseSyntax value => !IsConstantInitializer(value),
            _ => false,
        };

        private static bool IsConstantInitializer(EqualsValueClauseSyntax value) => value.Parent switch
        {
            VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax field } => field.Modifiers.Any(SyntaxKind.ConstKeyword),
            EnumMemberDeclarationSyntax or ParameterSyntax => true,
            _ => false,
        };

        private static ulong Add(ulong hash, string text)
        {
            foreach (var c in text)
            {
                hash = (hash ^ (c & 0xFFu)) * FnvPrime;
                hash = (hash ^ ((uint)c >> 8)) * FnvPrime;
            }
            return (hash ^ 0xFFu) * FnvPrime;   // a separator, so "ab"+"c" differs from "a"+"bc"
        }
    }
}
