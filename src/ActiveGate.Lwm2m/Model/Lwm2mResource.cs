using System.Collections.ObjectModel;

namespace ActiveGate.Lwm2m.Model;

/// <summary>
/// An immutable resource value: either a single value or a set of resource instances. Immutability
/// lets a transaction stage changes by copying only the per-instance dictionary.
/// </summary>
public sealed class Lwm2mResource
{
    private static readonly ReadOnlyDictionary<int, Lwm2mValue> s_noInstances = new(new Dictionary<int, Lwm2mValue>());

    private Lwm2mResource(int id, bool multiple, Lwm2mValue value, IReadOnlyDictionary<int, Lwm2mValue> instances)
    {
        Id = id;
        IsMultiple = multiple;
        Value = value;
        Instances = instances;
    }

    public int Id { get; }
    public bool IsMultiple { get; }

    /// <summary>The value of a single-instance resource.</summary>
    public Lwm2mValue Value { get; }

    /// <summary>The instances of a multiple resource, ordered by id.</summary>
    public IReadOnlyDictionary<int, Lwm2mValue> Instances { get; }

    public static Lwm2mResource Single(int id, Lwm2mValue value) => new(id, false, value, s_noInstances);

    public static Lwm2mResource Multiple(int id, IEnumerable<KeyValuePair<int, Lwm2mValue>> instances)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var sorted = new SortedDictionary<int, Lwm2mValue>();
        foreach (var (key, value) in instances)
        {
            sorted[key] = value;
        }

        return new Lwm2mResource(id, true, default, new ReadOnlyDictionary<int, Lwm2mValue>(sorted));
    }

    /// <summary>A multiple resource whose instances are numbered 0..n-1.</summary>
    public static Lwm2mResource Multiple(int id, IEnumerable<Lwm2mValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Multiple(id, values.Select((v, i) => new KeyValuePair<int, Lwm2mValue>(i, v)));
    }

    /// <summary>Adds the flat records of this resource below <paramref name="instancePath"/>.</summary>
    public void AppendRecords(Lwm2mPath instancePath, List<Lwm2mRecord> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var resourcePath = instancePath.Append(Id);
        if (!IsMultiple)
        {
            destination.Add(new Lwm2mRecord(resourcePath, Value));
            return;
        }

        foreach (var (key, value) in Instances)
        {
            destination.Add(new Lwm2mRecord(resourcePath.Append(key), value));
        }
    }

    public bool ContentEquals(Lwm2mResource? other)
    {
        if (other is null || other.IsMultiple != IsMultiple)
        {
            return false;
        }

        if (!IsMultiple)
        {
            return Value == other.Value;
        }

        return Instances.Count == other.Instances.Count && Instances.All(kv => other.Instances.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}
