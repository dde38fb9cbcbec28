using System.Diagnostics;
using System.Globalization;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Root;

namespace ActiveGate.Simulator.Mesh.Rpl;

/// <summary>
/// <c>activegate-sim --measure-convergence</c>: the simulated mesh in-process with the agent-side root,
/// timed from the root's first DIO until every node has a downward route. The simulation runs on the
/// wall clock, so simulated time = elapsed time; the process CPU time and the root's managed memory
/// growth are printed beside it.
/// </summary>
public static class ConvergenceMeasurement
{
    /// <summary>Runs one measurement and writes its figures; returns 0 when the mesh converged, 1 otherwise.</summary>
    public static async Task<int> RunAsync(SimulatorOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        RplMode mode = options.EffectiveRpl ?? RplMode.NonStoring;
        options.Rpl = mode;
        options.RplDisabled = false;
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        await using Simulation simulation = Simulation.CreateInProcess(options);
        await using var root = new InProcessRoot(simulation, mode, o => new RplRootOptions
        {
            DodagId = o.DodagId,
            Prefix = o.Prefix,
            Mode = o.Mode,
            DioIntervalMin = options.DioIntervalMin,
            DioIntervalDoublings = options.DioIntervalDoublings,
        });
        await simulation.StartAsync(cancellationToken).ConfigureAwait(false);
        int[] depths = simulation.Depths();
        TimeSpan poll = TimeSpan.FromMilliseconds(Math.Max(10, (1 << options.DioIntervalMin) / 20));
        TimeSpan? converged = await root.WaitForConvergenceAsync(options.MeasureTimeout, poll, cancellationToken: cancellationToken).ConfigureAwait(false);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        long memory = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        RplRootStatistics stats = root.Root.Statistics;
        CultureInfo c = CultureInfo.InvariantCulture;
        string setup = string.Create(c, $"nodes {simulation.Nodes.Count} topology {options.Topology.ToString().ToLowerInvariant()} max-depth {depths.Max()} mode {(mode == RplMode.Storing ? "storing" : "non-storing")} imin 2^{options.DioIntervalMin}ms doublings {options.DioIntervalDoublings} dao-delay {(options.DaoDelay ?? TimeSpan.FromSeconds(4)).TotalMilliseconds}ms link-loss {options.LinkLoss}");
        string result = converged is { } t
            ? string.Create(c, $"converged in {t.TotalSeconds:F2} s")
            : string.Create(c, $"NOT converged ({root.ReachableCount()}/{simulation.Nodes.Count} routed) after {options.MeasureTimeout.TotalSeconds:F0} s");
        string figures = string.Create(c, $"root DAOs {stats.DaosReceived}, DAO-ACKs {stats.DaoAcksSent}, DIOs {stats.MulticastDiosSent}+{stats.UnicastDiosSent}; air frames {simulation.Air.FramesDelivered}; process CPU {cpu.TotalSeconds:F2} s, managed memory +{memory / 1024} KiB ({memory / Math.Max(1, simulation.Nodes.Count)} B/node, whole simulation)");
        await output.WriteLineAsync($"{setup}: {result}; {figures}").ConfigureAwait(false);
        return converged is null ? 1 : 0;
    }
}
