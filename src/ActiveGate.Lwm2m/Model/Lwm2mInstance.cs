namespace ActiveGate.Lwm2m.Model;

/// <summary>
/// One object instance. The base class stores any value the DDF allows, so a plain
/// <c>new Lwm2mInstance()</c> is a complete generic instance (the way the policy object is built).
/// Subclasses bind computed values (<see cref="BindValue"/>), executables (<see cref="BindExecute"/>)
/// and add checks (<see cref="Validate"/>) or reactions (<see cref="OnCommitted"/>).
/// </summary>
public class Lwm2mInstance
{
    private static readonly SortedDictionary<int, Lwm2mResource> s_empty = new();

    private IReadOnlyDictionary<int, Lwm2mResource> _stored = s_empty;
    private readonly Dictionary<int, Func<Lwm2mResource?>> _computed = new();
    private readonly Dictionary<int, Func<ExecuteArguments, Lwm2mStatus>> _executables = new();

    /// <summary>Instance id; assigned when the instance is added to an object.</summary>
    public int Id { get; internal set; } = -1;

    /// <summary>The object this instance belongs to (null until added).</summary>
    public Lwm2mObjectEnabler? Owner { get; internal set; }

    public ObjectDefinition Definition => Owner?.Definition ?? throw new InvalidOperationException("The instance is not attached to an object.");

    public Lwm2mPath Path => new(Owner?.Definition.Id ?? throw new InvalidOperationException("Not attached."), Id);

    /// <summary>A consistent snapshot of every value (stored and computed).</summary>
    public Lwm2mInstanceView Current
    {
        get
        {
            var model = Owner?.Model;
            if (model is null)
            {
                return CreateView(ReadAllUnlocked());
            }

            lock (model.Gate)
            {
                return CreateView(ReadAllUnlocked());
            }
        }
    }

    /// <summary>Sets a single resource value from the application side and notifies observers.</summary>
    public void SetValue(int resourceId, Lwm2mValue value) => SetResource(Lwm2mResource.Single(resourceId, value));

    /// <summary>Sets a multiple resource (instances 0..n-1) from the application side and notifies observers.</summary>
    public void SetValues(int resourceId, IEnumerable<Lwm2mValue> values) => SetResource(Lwm2mResource.Multiple(resourceId, values));

    /// <summary>Sets a resource from the application side (no operation checks) and notifies observers when it changed.</summary>
    public void SetResource(Lwm2mResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var model = Owner?.Model;
        bool changed;
        if (model is null)
        {
            changed = Store(resource);
        }
        else
        {
            lock (model.Gate)
            {
                changed = Store(resource);
            }
        }

        if (changed && Owner is not null)
        {
            Owner.Model?.RaiseChanged([Path.Append(resource.Id)], structureChanged: false, Lwm2mOrigin.Local);
        }
    }

    /// <summary>Tells observers that a computed resource changed (the value is read again when they are notified).</summary>
    public void NotifyChanged(int resourceId)
    {
        if (Owner?.Model is { } model)
        {
            model.RaiseChanged([Path.Append(resourceId)], structureChanged: false, Lwm2mOrigin.Local);
        }
    }

    public bool TryGetValue(int resourceId, out Lwm2mValue value)
    {
        var resource = Current.Resources.GetValueOrDefault(resourceId);
        value = resource is { IsMultiple: false } ? resource.Value : default;
        return resource is { IsMultiple: false };
    }

    /// <summary>Makes a resource computed on every read (current time, free memory). Computed values win over stored ones.</summary>
    protected void BindValue(int resourceId, Func<Lwm2mValue> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _computed[resourceId] = () => Lwm2mResource.Single(resourceId, read());
    }

    /// <summary>Makes a resource computed on every read; a null result means "not present now".</summary>
    protected void BindOptionalValue(int resourceId, Func<Lwm2mValue?> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _computed[resourceId] = () => read() is { } v ? Lwm2mResource.Single(resourceId, v) : null;
    }

    /// <summary>Makes a multiple resource computed on every read.</summary>
    protected void BindValues(int resourceId, Func<IEnumerable<Lwm2mValue>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _computed[resourceId] = () => Lwm2mResource.Multiple(resourceId, read());
    }

    /// <summary>Binds an executable resource. The handler runs outside the model lock.</summary>
    protected void BindExecute(int resourceId, Func<ExecuteArguments, Lwm2mStatus> execute)
    {
        ArgumentNullException.ThrowIfNull(execute);
        _executables[resourceId] = execute;
    }

    /// <summary>Checks a proposed new state before a transaction commits; return a reason to refuse (4.00).</summary>
    protected internal virtual string? Validate(Lwm2mInstanceView proposed, Lwm2mOrigin origin) => null;

    /// <summary>Runs after a server/bootstrap transaction changed this instance (outside the model lock).</summary>
    protected internal virtual void OnCommitted(Lwm2mInstanceView committed, IReadOnlyCollection<int> changedResourceIds, Lwm2mOrigin origin)
    {
    }

    /// <summary>Executes a resource; the default dispatches to <see cref="BindExecute"/> handlers.</summary>
    protected internal virtual Lwm2mStatus Execute(int resourceId, ExecuteArguments arguments) =>
        _executables.TryGetValue(resourceId, out var handler) ? handler(arguments) : Lwm2mStatus.MethodNotAllowed;

    internal bool HasExecuteHandler(int resourceId) => _executables.ContainsKey(resourceId);

    internal IReadOnlyDictionary<int, Lwm2mResource> StoredValues => _stored;

    internal void ReplaceStored(IReadOnlyDictionary<int, Lwm2mResource> values) => _stored = values;

    /// <summary>Reads one resource (caller holds the model lock).</summary>
    internal Lwm2mResource? ReadUnlocked(int resourceId) =>
        _computed.TryGetValue(resourceId, out var read) ? read() : _stored.GetValueOrDefault(resourceId);

    internal bool IsComputed(int resourceId) => _computed.ContainsKey(resourceId);

    internal SortedDictionary<int, Lwm2mResource> ReadAllUnlocked()
    {
        var all = new SortedDictionary<int, Lwm2mResource>();
        foreach (var (id, resource) in _stored)
        {
            all[id] = resource;
        }

        foreach (var (id, read) in _computed)
        {
            if (read() is { } resource)
            {
                all[id] = resource;
            }
        }

        return all;
    }

    internal Lwm2mInstanceView CreateView(IReadOnlyDictionary<int, Lwm2mResource> values) =>
        new(Owner?.Definition.Id ?? -1, Id, values);

    private bool Store(Lwm2mResource resource)
    {
        if (_stored.TryGetValue(resource.Id, out var existing) && existing.ContentEquals(resource))
        {
            return false;
        }

        var copy = new SortedDictionary<int, Lwm2mResource>((IDictionary<int, Lwm2mResource>)new Dictionary<int, Lwm2mResource>(_stored)) { [resource.Id] = resource };
        _stored = copy;
        return true;
    }
}

/// <summary>A read-only snapshot of an instance's values, given to validators and commit hooks.</summary>
public sealed class Lwm2mInstanceView
{
    internal Lwm2mInstanceView(int objectId, int instanceId, IReadOnlyDictionary<int, Lwm2mResource> resources)
    {
        ObjectId = objectId;
        InstanceId = instanceId;
        Resources = resources;
    }

    public int ObjectId { get; }
    public int InstanceId { get; }
    public IReadOnlyDictionary<int, Lwm2mResource> Resources { get; }

    public bool TryGetValue(int resourceId, out Lwm2mValue value)
    {
        if (Resources.TryGetValue(resourceId, out var r) && !r.IsMultiple)
        {
            value = r.Value;
            return true;
        }

        value = default;
        return false;
    }

    public string? GetString(int resourceId) => TryGetValue(resourceId, out var v) && v.Type is ResourceType.String or ResourceType.CoreLink ? v.AsString() : null;

    public long? GetInteger(int resourceId) => TryGetValue(resourceId, out var v) && v.Type is ResourceType.Integer or ResourceType.UnsignedInteger or ResourceType.Time ? v.AsInteger() : null;

    public bool? GetBoolean(int resourceId) => TryGetValue(resourceId, out var v) && v.Type == ResourceType.Boolean ? v.AsBoolean() : null;

    public ReadOnlyMemory<byte>? GetOpaque(int resourceId) => TryGetValue(resourceId, out var v) && v.Type == ResourceType.Opaque ? v.AsOpaque() : null;
}
