using System.Globalization;
using System.Linq;
using System.Text;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>Writes IR back as DSL text, for the comments above generated code; names, infix symbols and precedence come from the operation table (fused
/// kernels print under their libtorch names).</summary>
internal static class Printer
{
    public static string Print(ExprNode node)
    {
        var sb = new StringBuilder();
        Write(sb, node, 0);
        return sb.ToString();
    }

    /// <summary>The DSL name of an input.</summary>
    public static string Input(InputKind kind) => kind switch
    {
        InputKind.Real => "x",
        InputKind.Noise => "z",
        InputKind.Noise2 => "z2",
        InputKind.RealLabels => "y",
        _ => "yz",
    };

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    // Precedence: 0 lowest (anything goes), 1 additive, 2 multiplicative, 3 unary.
    private static StringBuilder Write(StringBuilder sb, ExprNode node, int context)
    {
        switch (node)
        {
            case ConstNode c:
                if (c.Value < 0 && context > 0) sb.Append('(').Append(Number(c.Value)).Append(')');
                else sb.Append(Number(c.Value));
                break;
            case HyperNode h: sb.Append(h.Name); break;
            case StateNode s: sb.Append(s.Name); break;
            case InputNode i: sb.Append(Input(i.Kind)); break;
            case NamedNode n: sb.Append(n.Name); break;
            case ApplyNode a:
                sb.Append(a.Network).Append('(');
                Write(sb, a.Argument, 0);
                if (a.Labels is { } labels) Write(sb.Append(", "), labels, 0);
                sb.Append(')');
                break;
            case HeadNode h:
                // D(x) and Q(x) as the loss wrote them: the network's score column or its class head.
                sb.Append(h.Name).Append('(');
                Write(sb, h.Output.Argument, 0);
                sb.Append(')');
                break;
            case CallNode call:
                WriteCall(sb, call, context);
                break;
        }
        return sb;
    }

    private static void WriteCall(StringBuilder sb, CallNode call, int context)
    {
        var operation = Operations.Of(call.Op);
        if (operation.Infix is { } symbol)
        {
            var p = operation.Precedence;
            var parens = p < context;
            if (parens) sb.Append('(');
            if (call.Args.Count == 1)
            {
                sb.Append(symbol);
                Write(sb, call.Args[0], p);
            }
            else
            {
                Write(sb, call.Args[0], p);
                sb.Append(' ').Append(symbol).Append(' ');
                Write(sb, call.Args[1], p + 1);
            }
            if (parens) sb.Append(')');
            return;
        }

        sb.Append(operation.Printed).Append('(');
        for (var i = 0; i < call.Args.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            Write(sb, call.Args[i], 0);
        }
        sb.Append(')');
    }
}
