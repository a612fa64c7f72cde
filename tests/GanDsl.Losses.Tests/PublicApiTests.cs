using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using GanDsl.Testing;
using GanDsl.Verification;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The public-API baseline: every public type and public or protected member of the shipped assemblies,
/// one line each, checked in under PublicApi/. An accidental change to the surface (a member added,
/// removed, renamed, re-typed, or hidden/shown in IntelliSense) fails here; an intended one is accepted
/// with <c>GANDSL_ACCEPT=1</c> and reviewed in the diff. Members marked
/// <c>[EditorBrowsable(EditorBrowsableState.Never)]</c> (plumbing generated code calls) end in <c>[hidden]</c>.
/// The zoo's generated losses are part of GanDsl.Losses, so changing a loss changes its baseline.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string> Assemblies => new() { "GanDsl.Dsl", "GanDsl.Runtime", "GanDsl.Losses", "GanDsl.Verification", "GanDsl.Testing" };

    private static readonly Dictionary<string, Assembly> ByName = new[]
    {
        typeof(Expr).Assembly, typeof(IGanLoss).Assembly, typeof(Hinge).Assembly, typeof(GoldenVerifier).Assembly, typeof(Snapshot).Assembly,
    }.ToDictionary(a => a.GetName().Name!);

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Public_surface_matches_the_baseline(string assembly)
    {
        var listing = PublicApiListing.Of(ByName[assembly]);
        var directory = Path.Combine(SourceDirectory(), "PublicApi");
        var verifiedPath = Path.Combine(directory, assembly + ".verified.txt");
        var before = File.Exists(verifiedPath) ? File.ReadAllLines(verifiedPath) : [];
        try
        {
            Snapshot.Verify(listing, assembly, directory, ".txt");
        }
        catch (SnapshotMismatchException e)
        {
            var now = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var added = now.Except(before, StringComparer.Ordinal).Select(l => "+ " + l);
            var removed = before.Except(now, StringComparer.Ordinal).Select(l => "- " + l);
            Assert.Fail($"The public API of {assembly} changed:\n{string.Join('\n', removed.Concat(added))}\n\n{e.Message}");
        }
    }

    [Fact]
    public void Listing_marks_hidden_plumbing_and_shows_user_words()
    {
        var runtime = PublicApiListing.Of(typeof(IGanLoss).Assembly).Split('\n');
        Assert.Contains("static class GanDsl.LossOps [hidden]", runtime);
        Assert.Contains("sealed class GanDsl.GeneratedGanLossAttribute : System.Attribute [hidden]", runtime);
        Assert.Contains(runtime, l => l.StartsWith("interface GanDsl.IGanLoss", StringComparison.Ordinal) && !l.EndsWith("[hidden]", StringComparison.Ordinal));
        Assert.Contains("  GanDsl.StepContext.Augmentations: property GanDsl.SharedAugmentations { get; } [hidden]", runtime);
    }

    private static string SourceDirectory([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}

/// <summary>Writes an assembly's public surface as sorted lines: a type, then its members indented under it.</summary>
internal static class PublicApiListing
{
    // Nullable annotations are part of a signature (string vs string?), so they are listed too.
    private static readonly NullabilityInfoContext Nullability = new();

    public static string Of(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => Name(t), StringComparer.Ordinal))
        {
            text.Append(TypeLine(type)).Append('\n');
            foreach (var line in Members(type).Order(StringComparer.Ordinal)) text.Append("  ").Append(line).Append('\n');
        }
        return text.ToString();
    }

    private static string Hidden(MemberInfo m) =>
        m.GetCustomAttribute<EditorBrowsableAttribute>() is { State: EditorBrowsableState.Never } ? " [hidden]" : "";

    private static string TypeLine(Type t)
    {
        var kind = t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? (IsRecord(t) ? "record struct" : "struct")
            : typeof(Delegate).IsAssignableFrom(t.BaseType) ? "delegate" : IsRecord(t) ? "record" : "class";
        var modifiers = t.IsClass && !t.IsInterface && kind != "delegate"
            ? (t.IsAbstract && t.IsSealed ? "static " : t.IsAbstract ? "abstract " : t.IsSealed ? "sealed " : "")
            : "";
        var bases = new List<string>();
        if (t.IsClass && t.BaseType is { } b && b != typeof(object) && kind != "delegate") bases.Add(Name(b));
        if (t.IsEnum) bases.Add(Name(Enum.GetUnderlyingType(t)));
        // Only interfaces this type declares itself, so a base's list is not repeated.
        var inherited = t.BaseType?.GetInterfaces() ?? [];
        var declared = t.GetInterfaces().Except(inherited).Except(t.GetInterfaces().SelectMany(i => i.GetInterfaces()));
        bases.AddRange(declared.Select(Name).Order(StringComparer.Ordinal));
        return $"{modifiers}{kind} {Name(t)}{(bases.Count > 0 ? " : " + string.Join(", ", bases) : "")}{Hidden(t)}";
    }

    // Records show by what the compiler adds: a class record's "<Clone>$", a record struct's PrintMembers.
    private static bool IsRecord(Type t) => t.IsValueType
        ? t.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null
        : t.GetMethod("<Clone>$") is not null;

    private static IEnumerable<string> Members(Type t)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var owner = Name(t);
        foreach (var m in t.GetMembers(flags))
        {
            var line = m switch
            {
                FieldInfo f when Visible(f) && !f.IsSpecialName => t.IsEnum
                    ? $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue())}"
                    : $"{Access(f)}{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}field {Name(f.FieldType, Nullability.Create(f))}{(f.IsLiteral ? " = " + Literal(f.GetRawConstantValue()) : "")}",
                PropertyInfo p when Visible(p.GetMethod) || Visible(p.SetMethod) => $"{Access(p.GetMethod ?? p.SetMethod!)}{Static(p.GetMethod ?? p.SetMethod!)}property {Name(p.PropertyType, Nullability.Create(p))}{Indexer(p)} {{ {Accessors(p)}}}",
                EventInfo e when Visible(e.AddMethod) => $"{Access(e.AddMethod!)}{Static(e.AddMethod!)}event {Name(e.EventHandlerType!)}",
                ConstructorInfo c when Visible(c) => $"{Access(c)}{Static(c)}constructor({Parameters(c)})",
                MethodInfo mi when Visible(mi) && (!mi.IsSpecialName || mi.Name.StartsWith("op_", StringComparison.Ordinal)) =>
                    $"{Access(mi)}{Static(mi)}{(mi.IsAbstract && !t.IsInterface ? "abstract " : mi.IsVirtual && !mi.IsFinal && !t.IsInterface && mi.GetBaseDefinition() == mi ? "virtual " : mi.GetBaseDefinition() != mi ? "override " : "")}method {Name(mi.ReturnType, Nullability.Create(mi.ReturnParameter))} {mi.Name}{Generics(mi)}({Parameters(mi)})",
                _ => null,
            };
            if (line is not null) yield return $"{owner}.{(m is ConstructorInfo ? "ctor" : m.Name)}: {line}{Hidden(m)}";
        }
    }

    private static bool Visible(MethodBase? m) => m is not null && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly);
    private static bool Visible(FieldInfo f) => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly;
    private static string Access(MethodBase m) => m.IsPublic ? "" : "protected ";
    private static string Access(FieldInfo f) => f.IsPublic ? "" : "protected ";
    private static string Static(MethodBase m) => m.IsStatic ? "static " : "";

    private static string Accessors(PropertyInfo p)
    {
        var text = new StringBuilder();
        if (Visible(p.GetMethod)) text.Append(p.GetMethod!.IsPublic ? "get; " : "protected get; ");
        if (Visible(p.SetMethod))
        {
            var init = p.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");
            text.Append(p.SetMethod.IsPublic ? "" : "protected ").Append(init ? "init; " : "set; ");
        }
        return text.ToString();
    }

    private static string Indexer(PropertyInfo p) => p.GetIndexParameters() is { Length: > 0 } ps ? "[" + string.Join(", ", ps.Select(Parameter)) + "]" : "";

    private static string Generics(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(Parameter));

    private static string Parameter(ParameterInfo p)
    {
        var type = p.ParameterType;
        var nullability = Nullability.Create(p);
        var modifier = "";
        if (type.IsByRef)
        {
            modifier = p.IsOut ? "out " : p.IsIn ? "in " : "ref ";
            type = type.GetElementType()!;
            nullability = nullability.ElementType ?? nullability;
        }
        if (p.GetCustomAttribute<ParamArrayAttribute>() is not null) modifier = "params ";
        var defaultValue = p.HasDefaultValue ? " = " + Literal(p.RawDefaultValue) : "";
        return $"{modifier}{Name(type, nullability)} {p.Name}{defaultValue}";
    }

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    /// <summary>A C#-like name: namespace-qualified, nested types with '.', generic arguments in angle brackets.</summary>
    private static string Name(Type t) => Name(t, null);

    /// <summary>As <see cref="Name(Type)"/>, with a '?' on each reference type annotated nullable in <paramref name="n"/>.</summary>
    private static string Name(Type t, NullabilityInfo? n)
    {
        var mark = n is { ReadState: NullabilityState.Nullable } && !t.IsValueType ? "?" : "";
        if (t.IsGenericParameter) return t.Name + mark;
        if (t.IsArray) return Name(t.GetElementType()!, n?.ElementType) + "[" + new string(',', t.GetArrayRank() - 1) + "]" + mark;
        if (t.IsByRef || t.IsPointer) return Name(t.GetElementType()!) + (t.IsPointer ? "*" : "&");
        if (Nullable.GetUnderlyingType(t) is { } inner) return Name(inner) + "?";
        var name = t.Name;
        var tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick];
        var prefix = t.IsNested ? Name(t.DeclaringType!) + "." : t.Namespace is { } ns ? ns + "." : "";
        if (!t.IsGenericType) return prefix + name + mark;
        // A nested type's generic arguments include its declaring type's; list only its own.
        var all = t.GetGenericArguments();
        var first = t.IsNested ? t.DeclaringType!.GetGenericArguments().Length : 0;
        var own = Enumerable.Range(first, all.Length - first)
            .Select(i => Name(all[i], n is not null && i < n.GenericTypeArguments.Length ? n.GenericTypeArguments[i] : null)).ToList();
        return (own.Count == 0 ? prefix + name : prefix + name + "<" + string.Join(", ", own) + ">") + mark;
    }
}
