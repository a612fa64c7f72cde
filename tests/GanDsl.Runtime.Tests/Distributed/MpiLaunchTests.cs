using GanDsl.Distributed;

namespace GanDsl.Runtime.Tests.Distributed;

/// <summary>Which launcher started this process, read from its environment (docs/distributed.md). Runs under mpirun: GanDsl.Cli.Tests.</summary>
public sealed class MpiLaunchTests
{
    [Fact]
    public void Launch_is_read_from_the_launchers_environment()
    {
        static MpiLaunch? From(params (string Name, string Value)[] vars) =>
            MpiLaunch.From(name => vars.FirstOrDefault(v => v.Name == name).Value);

        Assert.Null(From());
        Assert.Null(From(("OMPI_COMM_WORLD_SIZE", "1"), ("OMPI_COMM_WORLD_RANK", "0")));
        Assert.Equal(new MpiLaunch(4, 3, "OMPI_COMM_WORLD_SIZE"), From(("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_RANK", "3")));
        Assert.Equal(new MpiLaunch(2, 1, "PMI_SIZE"), From(("PMI_SIZE", "2"), ("PMI_RANK", "1")));
        Assert.Equal(new MpiLaunch(8, 5, "SLURM_STEP_NUM_TASKS"), From(("SLURM_STEP_NUM_TASKS", "8"), ("SLURM_PROCID", "5")));
        // An sbatch script's own shell: the allocation's task count, but no step of several tasks.
        Assert.Null(From(("SLURM_NTASKS", "8"), ("SLURM_PROCID", "0")));
    }
}
