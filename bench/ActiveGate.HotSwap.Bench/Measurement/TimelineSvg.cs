using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace ActiveGate.HotSwap.Bench.Measurement;

/// <summary>
/// The swap timeline: readings accepted per second by each platform over the run, with a vertical marker at each
/// swap's acknowledgement, as an SVG (OxyPlot's exporter, no browser or native renderer needed), plus a text summary.
/// </summary>
public static class TimelineSvg
{
    /// <summary>The acceptance times of one platform (or one lane of platforms, e.g. every other fresh CSE).</summary>
    public sealed record Lane(string Name, IReadOnlyList<DateTimeOffset> Accepted);

    /// <summary>Counts per <paramref name="bin"/> from <paramref name="origin"/> to <paramref name="end"/>, as a rate per second.</summary>
    public static double[] Rates(IEnumerable<DateTimeOffset> times, DateTimeOffset origin, DateTimeOffset end, TimeSpan bin)
    {
        int bins = Math.Max(1, (int)Math.Ceiling((end - origin) / bin));
        double[] counts = new double[bins];
        foreach (DateTimeOffset t in times)
        {
            int i = (int)Math.Floor((t - origin) / bin);
            if (i >= 0 && i < bins)
            {
                counts[i]++;
            }
        }

        return [.. counts.Select(c => c / bin.TotalSeconds)];
    }

    public static PlotModel Build(string title, DateTimeOffset origin, DateTimeOffset end, IReadOnlyList<Lane> lanes, IReadOnlyList<DateTimeOffset> swaps, TimeSpan bin)
    {
        // OxyPlot's default font is Segoe UI, absent from most Linux viewers.
        var model = new PlotModel { Title = title, Background = OxyColors.White, DefaultFont = "sans-serif", TitleFontSize = 13 };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.TopRight, LegendPlacement = LegendPlacement.Outside });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "time since start (s)", Minimum = 0, Maximum = (end - origin).TotalSeconds });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = FormattableString.Invariant($"readings accepted per s ({bin.TotalSeconds:0.##} s bins)"), Minimum = 0 });
        OxyColor[] colors = [OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x2c, 0xa0, 0x2c), OxyColor.FromRgb(0x94, 0x67, 0xbd)];
        for (int l = 0; l < lanes.Count; l++)
        {
            var series = new StairStepSeries { Title = lanes[l].Name, Color = colors[l % colors.Length], StrokeThickness = 1, VerticalStrokeThickness = 0.5 };
            double[] rates = Rates(lanes[l].Accepted, origin, end, bin);
            for (int i = 0; i < rates.Length; i++)
            {
                series.Points.Add(new DataPoint(i * bin.TotalSeconds, rates[i]));
            }

            model.Series.Add(series);
        }

        foreach (DateTimeOffset swap in swaps)
        {
            model.Annotations.Add(new LineAnnotation
            {
                Type = LineAnnotationType.Vertical, X = (swap - origin).TotalSeconds,
                Color = OxyColor.FromAColor(90, OxyColors.Gray), LineStyle = LineStyle.Dash, StrokeThickness = 0.5,
            });
        }

        return model;
    }

    public static void Write(string path, string title, DateTimeOffset origin, DateTimeOffset end, IReadOnlyList<Lane> lanes, IReadOnlyList<DateTimeOffset> swaps, TimeSpan bin)
    {
        PlotModel model = Build(title, origin, end, lanes, swaps, bin);
        // Wide enough that 100 swaps over a few minutes stay apart.
        double width = Math.Clamp((end - origin).TotalSeconds * 6, 900, 4000);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using FileStream file = File.Create(path);
        new SvgExporter { Width = width, Height = 420 }.Export(model, file);
    }

    /// <summary>Per lane, within the plotted span: total, mean and peak rate; and the longest stretch in which no platform accepted a reading.</summary>
    public static string Summary(DateTimeOffset origin, DateTimeOffset end, IReadOnlyList<Lane> lanes, TimeSpan bin)
    {
        var sb = new StringBuilder();
        double seconds = (end - origin).TotalSeconds;
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"platform",-12} {"accepted",9} {"mean/s",8} {"peak/s",8} {"active bins",12}");
        foreach (Lane lane in lanes)
        {
            double[] rates = Rates(lane.Accepted, origin, end, bin);
            int inRange = lane.Accepted.Count(t => t >= origin && t < end);
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{lane.Name,-12} {inRange,9} {inRange / Math.Max(seconds, 1e-9),8:0.0} {rates.Max(),8:0.0} {rates.Count(r => r > 0),6}/{rates.Length}");
        }

        DateTimeOffset[] all = [.. lanes.SelectMany(l => l.Accepted).Where(t => t >= origin && t <= end).Order()];
        TimeSpan longest = TimeSpan.Zero;
        DateTimeOffset gapStart = origin;
        for (int i = 1; i < all.Length; i++)
        {
            if (all[i] - all[i - 1] > longest)
            {
                longest = all[i] - all[i - 1];
                gapStart = all[i - 1];
            }
        }

        sb.Append(CultureInfo.InvariantCulture, $"longest gap with no reading accepted anywhere: {longest.TotalMilliseconds:0} ms (from t = {(gapStart - origin).TotalSeconds:0.0} s)");
        return sb.ToString();
    }
}
