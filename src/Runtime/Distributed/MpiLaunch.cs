using System.Globalization;

namespace GanDsl.Distributed;

/// <summary>
/// Where this process stands in a parallel launch (<c>mpirun -np N</c>, <c>srun -n N</c>), read from the environment
/// the launcher sets, without loading any MPI library. A process started without a launcher, or as the only task of
/// one, has no launch: it trains alone and libmpi is never loaded.
/// </summary>
/// <param name="Size">The number of processes (ranks) the launcher started.</param>
/// <param name="Rank">This process's rank, 0 to <paramref name="Size"/> − 1.</param>
/// <param name="Source">The environment variable the size came from (for messages).</param>
public sealed record MpiLaunch(int Size, int Rank, string Source)
{
    /// <summary>
    /// The launch this process is part of, or null when it runs alone. The size is read, in order, from
    /// <c>OMPI_COMM_WORLD_SIZE</c> (Open MPI's mpirun), <c>PMI_SIZE</c> (MPICH's Hydra, Slurm's PMI-1/PMI-2) and
    /// <c>SLURM_STEP_NUM_TASKS</c> (a step started by srun: a batch script's own shell has no step task count
    /// of its own, so a plain <c>gan train</c> inside <c>sbatch</c> still runs alone). A size of 1 is no launch.
    /// </summary>
    public static MpiLaunch? FromEnvironment() => From(Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="FromEnvironment"/>, reading the variables through <paramref name="variable"/> (for tests).</summary>
    public static MpiLaunch? From(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        foreach (var (size, rank) in new[] { ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"), ("PMI_SIZE", "PMI_RANK"),
            ("SLURM_STEP_NUM_TASKS", "SLURM_PROCID") })
        {
            if (Number(variable(size)) is not { } n) continue;
            if (n <= 1) return null;
            var r = Number(variable(rank)) ?? 0;
            return new MpiLaunch(n, r, size);
        }
        return null;
    }

    private static int? Number(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
