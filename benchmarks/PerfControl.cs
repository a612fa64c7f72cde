// Shared by benchmarks/HandWritten and benchmarks/GanDsl.Benchmarks (a linked source file: HandWritten must not
// reference GanDsl, and the two programs must signal perf the same way).

/// <summary>
/// benchmarks/profile.sh samples only the timed iterations: it starts `perf record --delay=-1 --control
/// fifo:CTL,ACK` and names the two fifos in GANDSL_PERF_CTL and GANDSL_PERF_ACK; the program writes
/// "enable" before the first timed iteration and "disable" after the last, each acknowledged by perf.
/// Without the variables this does nothing.
/// </summary>
static class PerfControl
{
    static readonly string? Ctl = Environment.GetEnvironmentVariable("GANDSL_PERF_CTL");
    static readonly string? Ack = Environment.GetEnvironmentVariable("GANDSL_PERF_ACK");

    public static void Send(string command)
    {
        if (string.IsNullOrEmpty(Ctl)) return;
        using (var ctl = new FileStream(Ctl, FileMode.Open, FileAccess.Write)) ctl.Write(System.Text.Encoding.ASCII.GetBytes(command + "\n"));
        if (string.IsNullOrEmpty(Ack)) return;
        using var ack = new FileStream(Ack, FileMode.Open, FileAccess.Read);
        var buffer = new byte[5];
        _ = ack.Read(buffer);
    }
}
