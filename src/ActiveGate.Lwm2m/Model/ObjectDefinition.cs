namespace ActiveGate.Lwm2m.Model;

/// <summary>One resource of an object as the DDF XML describes it.</summary>
public sealed record ResourceDefinition(
    int Id,
    string Name,
    ResourceOperations Operations,
    bool Multiple,
    bool Mandatory,
    ResourceType Type,
    string RangeEnumeration,
    string Units)
{
    public bool IsReadable => (Operations & ResourceOperations.Read) != 0;
    public bool IsWritable => (Operations & ResourceOperations.Write) != 0;
    public bool IsExecutable => (Operations & ResourceOperations.Execute) != 0;

    /// <summary>Numeric bounds parsed from <see cref="RangeEnumeration"/> when it has the form <c>a..b</c> or <c>a-b</c>.</summary>
    public (double Min, double Max)? NumericRange { get; init; }

    /// <summary>Length bounds for strings/opaque parsed from <c>0..255</c> style ranges.</summary>
    public (int Min, int Max)? LengthRange { get; init; }
}

/// <summary>An LwM2M object as the DDF XML describes it.</summary>
public sealed class ObjectDefinition
{
    public ObjectDefinition(int id, string name, string urn, string objectVersion, string lwm2mVersion, bool multiple, bool mandatory, IEnumerable<ResourceDefinition> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        Id = id;
        Name = name;
        Urn = urn;
        ObjectVersion = string.IsNullOrEmpty(objectVersion) ? "1.0" : objectVersion;
        Lwm2mVersion = string.IsNullOrEmpty(lwm2mVersion) ? "1.0" : lwm2mVersion;
        Multiple = multiple;
        Mandatory = mandatory;
        // A plain dictionary: FrozenDictionary's construction costs start-up time (start-to-registered budget).
        Resources = resources.ToDictionary(r => r.Id);
        ResourceIds = Resources.Keys.Order().ToArray();
    }

    public int Id { get; }
    public string Name { get; }
    public string Urn { get; }

    /// <summary>Object version (<c>1.0</c> when the DDF has none); advertised as <c>ver=</c> in the Register payload when not 1.0.</summary>
    public string ObjectVersion { get; }
    public string Lwm2mVersion { get; }
    public bool Multiple { get; }
    public bool Mandatory { get; }
    public IReadOnlyDictionary<int, ResourceDefinition> Resources { get; }

    /// <summary>Resource ids in ascending order.</summary>
    public IReadOnlyList<int> ResourceIds { get; }

    public ResourceDefinition? GetResource(int resourceId) => Resources.GetValueOrDefault(resourceId);

    public override string ToString() => $"/{Id} {Name} v{ObjectVersion}";
}

/// <summary>Looks up resource definitions; content formats use it to type and shape values.</summary>
public interface IResourceDefinitionProvider
{
    ObjectDefinition? GetObject(int objectId);
}

/// <summary>A fixed set of object definitions.</summary>
public sealed class ObjectDefinitionSet : IResourceDefinitionProvider
{
    private readonly Dictionary<int, ObjectDefinition> _objects = new();

    public ObjectDefinitionSet(IEnumerable<ObjectDefinition> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        foreach (var o in objects)
        {
            _objects[o.Id] = o;
        }
    }

    public ObjectDefinition? GetObject(int objectId) => _objects.GetValueOrDefault(objectId);
}
