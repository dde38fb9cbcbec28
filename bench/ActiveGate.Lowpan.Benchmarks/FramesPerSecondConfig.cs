using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ActiveGate.Lowpan.Benchmarks;

/// <summary>Adds frames-per-second columns (one operation = one frame, single thread = one core).</summary>
public sealed class FramesPerSecondConfig : ManualConfig
{
    public FramesPerSecondConfig()
    {
        // On a shared, loaded machine the minimum is the least disturbed estimate of one core's speed.
        AddColumn(StatisticColumn.Min);
        AddColumn(new FramesPerSecondColumn("Frames/s", "median", s => s.Median));
        AddColumn(new FramesPerSecondColumn("Frames/s (best)", "minimum", s => s.Min));
        // Short in-process runs: the numbers are for the closing note, not nanosecond comparisons, and
        // the generated-project build times out on a loaded 2-core CI machine.
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance).WithId("Lowpan"));
    }

    private sealed class FramesPerSecondColumn(string name, string statistic, Func<Statistics, double> select) : IColumn
    {
        public string Id => nameof(FramesPerSecondColumn) + name;

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => $"Frames per second on one core (1 s / {statistic} time per frame)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            Statistics? statistics = summary[benchmarkCase]?.ResultStatistics;
            return statistics is null ? "-" : (1e9 / select(statistics)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
