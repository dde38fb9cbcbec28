using System.Globalization;

namespace ActiveGate.Lwm2m.Model;

/// <summary>
/// An LwM2M path: <c>/</c>, <c>/{object}</c>, <c>/{object}/{instance}</c>,
/// <c>/{object}/{instance}/{resource}</c> or <c>/{object}/{instance}/{resource}/{resource instance}</c>.
/// Ids are 0..65534 (65535 is reserved by the spec as "no id").
/// </summary>
public readonly record struct Lwm2mPath : IComparable<Lwm2mPath>
{
    /// <summary>Largest id allowed at any level.</summary>
    public const int MaxId = 65534;

    private readonly int _object;
    private readonly int _instance;
    private readonly int _resource;
    private readonly int _resourceInstance;

    /// <summary>Number of levels: 0 for the root, 4 for a resource instance.</summary>
    public int Length { get; }

    /// <summary>The root path <c>/</c>.</summary>
    public static Lwm2mPath Root => default;

    public Lwm2mPath(int objectId)
        : this(1, objectId, 0, 0, 0)
    {
    }

    public Lwm2mPath(int objectId, int instanceId)
        : this(2, objectId, instanceId, 0, 0)
    {
    }

    public Lwm2mPath(int objectId, int instanceId, int resourceId)
        : this(3, objectId, instanceId, resourceId, 0)
    {
    }

    public Lwm2mPath(int objectId, int instanceId, int resourceId, int resourceInstanceId)
        : this(4, objectId, instanceId, resourceId, resourceInstanceId)
    {
    }

    private Lwm2mPath(int length, int o, int i, int r, int ri)
    {
        if ((uint)o > MaxId || (uint)i > MaxId || (uint)r > MaxId || (uint)ri > MaxId)
        {
            throw new ArgumentOutOfRangeException(nameof(o), "LwM2M ids are 0..65534.");
        }

        Length = length;
        _object = o;
        _instance = i;
        _resource = r;
        _resourceInstance = ri;
    }

    public bool IsRoot => Length == 0;
    public bool IsObject => Length == 1;
    public bool IsInstance => Length == 2;
    public bool IsResource => Length == 3;
    public bool IsResourceInstance => Length == 4;

    public int ObjectId => Length >= 1 ? _object : throw new InvalidOperationException("The root path has no object id.");
    public int InstanceId => Length >= 2 ? _instance : throw new InvalidOperationException($"{this} has no instance id.");
    public int ResourceId => Length >= 3 ? _resource : throw new InvalidOperationException($"{this} has no resource id.");
    public int ResourceInstanceId => Length >= 4 ? _resourceInstance : throw new InvalidOperationException($"{this} has no resource instance id.");

    /// <summary>The path one level up (the root stays the root).</summary>
    public Lwm2mPath Parent => Length switch
    {
        0 or 1 => Root,
        2 => new Lwm2mPath(_object),
        3 => new Lwm2mPath(_object, _instance),
        _ => new Lwm2mPath(_object, _instance, _resource),
    };

    /// <summary>The path cut to <paramref name="length"/> levels.</summary>
    public Lwm2mPath Truncate(int length) => length >= Length ? this : length switch
    {
        0 => Root,
        1 => new Lwm2mPath(_object),
        2 => new Lwm2mPath(_object, _instance),
        _ => new Lwm2mPath(_object, _instance, _resource),
    };

    /// <summary>Appends one id.</summary>
    public Lwm2mPath Append(int id) => Length switch
    {
        0 => new Lwm2mPath(id),
        1 => new Lwm2mPath(_object, id),
        2 => new Lwm2mPath(_object, _instance, id),
        3 => new Lwm2mPath(_object, _instance, _resource, id),
        _ => throw new InvalidOperationException("A resource instance path has no children."),
    };

    /// <summary>True when this path equals <paramref name="other"/> or is one of its ancestors.</summary>
    public bool IsPrefixOf(Lwm2mPath other)
    {
        if (Length > other.Length)
        {
            return false;
        }

        return other.Truncate(Length) == this;
    }

    /// <summary>Parses <c>/3/0/1</c> (leading slash optional, trailing slash tolerated).</summary>
    public static Lwm2mPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var path) ? path : throw new FormatException($"'{text}' is not an LwM2M path.");
    }

    public static bool TryParse(ReadOnlySpan<char> text, out Lwm2mPath path)
    {
        path = Root;
        if (text.Length > 0 && text[0] == '/')
        {
            text = text[1..];
        }

        if (text.Length > 0 && text[^1] == '/')
        {
            text = text[..^1];
        }

        if (text.IsEmpty)
        {
            return true;
        }

        Span<int> ids = stackalloc int[4];
        int count = 0;
        foreach (var range in text.Split('/'))
        {
            var segment = text[range];
            if (count == 4 || segment.IsEmpty || segment.Length > 5 || !int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id > MaxId)
            {
                return false;
            }

            ids[count++] = id;
        }

        path = count switch
        {
            1 => new Lwm2mPath(ids[0]),
            2 => new Lwm2mPath(ids[0], ids[1]),
            3 => new Lwm2mPath(ids[0], ids[1], ids[2]),
            _ => new Lwm2mPath(ids[0], ids[1], ids[2], ids[3]),
        };
        return true;
    }

    /// <summary>Builds a path from CoAP Uri-Path segments (<c>["3","0","1"]</c>).</summary>
    public static bool TryFromSegments(IReadOnlyList<string> segments, out Lwm2mPath path)
    {
        ArgumentNullException.ThrowIfNull(segments);
        path = Root;
        if (segments.Count > 4)
        {
            return false;
        }

        foreach (var segment in segments)
        {
            if (segment.Length == 0 && segments.Count == 1)
            {
                return true;
            }

            if (segment.Length == 0 || segment.Length > 5 || !int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id > MaxId)
            {
                return false;
            }

            path = path.Append(id);
        }

        return true;
    }

    public int CompareTo(Lwm2mPath other)
    {
        int common = Math.Min(Length, other.Length);
        for (int level = 0; level < common; level++)
        {
            int c = IdAt(level).CompareTo(other.IdAt(level));
            if (c != 0)
            {
                return c;
            }
        }

        return Length.CompareTo(other.Length);
    }

    /// <summary>The id at a level (0 = object).</summary>
    public int IdAt(int level) => level switch
    {
        0 when Length > 0 => _object,
        1 when Length > 1 => _instance,
        2 when Length > 2 => _resource,
        3 when Length > 3 => _resourceInstance,
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    public bool Equals(Lwm2mPath other) =>
        Length == other.Length
        && (Length < 1 || _object == other._object)
        && (Length < 2 || _instance == other._instance)
        && (Length < 3 || _resource == other._resource)
        && (Length < 4 || _resourceInstance == other._resourceInstance);

    public override int GetHashCode() => HashCode.Combine(Length, _object, _instance, _resource, _resourceInstance);

    public override string ToString() => Length switch
    {
        0 => "/",
        1 => string.Create(CultureInfo.InvariantCulture, $"/{_object}"),
        2 => string.Create(CultureInfo.InvariantCulture, $"/{_object}/{_instance}"),
        3 => string.Create(CultureInfo.InvariantCulture, $"/{_object}/{_instance}/{_resource}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"/{_object}/{_instance}/{_resource}/{_resourceInstance}"),
    };

    public static bool operator <(Lwm2mPath left, Lwm2mPath right) => left.CompareTo(right) < 0;
    public static bool operator >(Lwm2mPath left, Lwm2mPath right) => left.CompareTo(right) > 0;
    public static bool operator <=(Lwm2mPath left, Lwm2mPath right) => left.CompareTo(right) <= 0;
    public static bool operator >=(Lwm2mPath left, Lwm2mPath right) => left.CompareTo(right) >= 0;
}
