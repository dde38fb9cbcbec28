using System.Globalization;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Operations;

/// <summary>
/// The notification attributes of one level (object, instance, resource or resource instance),
/// Core TS 5.1.2: pmin/pmax (s), gt/lt/st (numeric thresholds), epmin/epmax (evaluation periods, s).
/// A null attribute is "not set at this level" and is inherited from the level above.
/// </summary>
public sealed record NotificationAttributes
{
    public static NotificationAttributes Empty { get; } = new();

    public long? MinPeriod { get; init; }
    public long? MaxPeriod { get; init; }
    public double? GreaterThan { get; init; }
    public double? LessThan { get; init; }
    public double? Step { get; init; }
    public long? EvaluationMinPeriod { get; init; }
    public long? EvaluationMaxPeriod { get; init; }

    public bool IsEmpty => this == Empty;

    public bool HasChangeConditions => GreaterThan.HasValue || LessThan.HasValue || Step.HasValue;

    /// <summary>Fills every attribute not set here from <paramref name="parent"/>.</summary>
    public NotificationAttributes InheritFrom(NotificationAttributes parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return new NotificationAttributes
        {
            MinPeriod = MinPeriod ?? parent.MinPeriod,
            MaxPeriod = MaxPeriod ?? parent.MaxPeriod,
            GreaterThan = GreaterThan ?? parent.GreaterThan,
            LessThan = LessThan ?? parent.LessThan,
            Step = Step ?? parent.Step,
            EvaluationMinPeriod = EvaluationMinPeriod ?? parent.EvaluationMinPeriod,
            EvaluationMaxPeriod = EvaluationMaxPeriod ?? parent.EvaluationMaxPeriod,
        };
    }

    /// <summary>Applies a Write-Attributes change set: present values set, valueless names clear.</summary>
    public NotificationAttributes Apply(AttributeChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var result = this;
        foreach (var (name, value) in changes.Items)
        {
            result = name switch
            {
                "pmin" => result with { MinPeriod = (long?)value },
                "pmax" => result with { MaxPeriod = (long?)value },
                "gt" => result with { GreaterThan = value },
                "lt" => result with { LessThan = value },
                "st" => result with { Step = value },
                "epmin" => result with { EvaluationMinPeriod = (long?)value },
                "epmax" => result with { EvaluationMaxPeriod = (long?)value },
                _ => result,
            };
        }

        return result;
    }

    /// <summary>Adds the set attributes to a link (Discover output).</summary>
    public void WriteTo(CoreLinkWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (MinPeriod is long pmin)
        {
            writer.Attribute("pmin", pmin);
        }

        if (MaxPeriod is long pmax)
        {
            writer.Attribute("pmax", pmax);
        }

        if (GreaterThan is double gt)
        {
            writer.Attribute("gt", gt);
        }

        if (LessThan is double lt)
        {
            writer.Attribute("lt", lt);
        }

        if (Step is double st)
        {
            writer.Attribute("st", st);
        }

        if (EvaluationMinPeriod is long epmin)
        {
            writer.Attribute("epmin", epmin);
        }

        if (EvaluationMaxPeriod is long epmax)
        {
            writer.Attribute("epmax", epmax);
        }
    }
}

/// <summary>The parsed query of a Write-Attributes request (<c>?pmin=10&amp;gt=20.5&amp;lt</c>).</summary>
public sealed class AttributeChanges
{
    private static readonly string[] s_periodNames = ["pmin", "pmax", "epmin", "epmax"];
    private static readonly string[] s_thresholdNames = ["gt", "lt", "st"];

    private AttributeChanges(IReadOnlyList<KeyValuePair<string, double?>> items) => Items = items;

    /// <summary>Attribute name → new value, or null to remove the attribute.</summary>
    public IReadOnlyList<KeyValuePair<string, double?>> Items { get; }

    /// <summary>
    /// Whether a gt/lt/st gets a value. Only setting is type-checked: removing one (<c>?gt</c>, Core TS
    /// 5.1.2) is always allowed, wherever it is asked and whatever the resource's type.
    /// </summary>
    public bool SetsThresholds => Items.Any(i => i.Value is not null && s_thresholdNames.Contains(i.Key));

    /// <summary>Parses Uri-Query options; throws 4.00 on unknown names or malformed numbers.</summary>
    public static AttributeChanges Parse(IEnumerable<string> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var items = new List<KeyValuePair<string, double?>>();
        foreach (var query in queries)
        {
            int eq = query.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? query : query[..eq];
            string? text = eq < 0 ? null : query[(eq + 1)..];
            bool period = s_periodNames.Contains(name);
            if (!period && !s_thresholdNames.Contains(name))
            {
                throw new Lwm2mException(Lwm2mStatus.BadRequest, $"Unknown attribute '{(name.Length > 16 ? name[..16] : name)}'.");
            }

            double? value = null;
            if (text is not null)
            {
                if (period)
                {
                    value = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long l) && l <= uint.MaxValue
                        ? l
                        : throw new Lwm2mException(Lwm2mStatus.BadRequest, $"{name} must be a non-negative integer.");
                }
                else
                {
                    value = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
                        ? d
                        : throw new Lwm2mException(Lwm2mStatus.BadRequest, $"{name} must be a number.");
                    if (name == "st" && d < 0)
                    {
                        throw new Lwm2mException(Lwm2mStatus.BadRequest, "st must not be negative.");
                    }
                }
            }

            items.Add(new KeyValuePair<string, double?>(name, value));
        }

        return new AttributeChanges(items);
    }
}
