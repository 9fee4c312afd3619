using System.Reflection;
using System.Reflection.Emit;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsNotebooks.Serving;

/// <summary>
/// A class made at run time with one public field per column, since ML.NET's PredictionEngine and LoadFromEnumerable
/// read rows of a CLR type and a bundle's columns are known only from its manifest. Fields are named <c>C0</c>, <c>C1</c>,
/// ...; the schema definition gives them the columns' names, which need not be C# identifiers.
/// </summary>
internal sealed class RowType
{
    private static readonly ModuleBuilder Module = AssemblyBuilder
        .DefineDynamicAssembly(new AssemblyName("MlopsNotebooks.Serving.Rows"), AssemblyBuilderAccess.RunAndCollect)
        .DefineDynamicModule("Rows");

    private static int _count;

    private RowType(Type type, FieldInfo[] fields, SchemaDefinition schema)
    {
        Type = type;
        Fields = fields;
        Schema = schema;
    }

    public Type Type { get; }

    /// <summary>One field per column, in the columns' order.</summary>
    public FieldInfo[] Fields { get; }

    public SchemaDefinition Schema { get; }

    public static RowType Create(IReadOnlyList<ServedColumn> columns)
    {
        TypeBuilder builder;
        lock (Module)
        {
            builder = Module.DefineType($"Row{++_count}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class);
        }
        for (var i = 0; i < columns.Count; i++)
        {
            builder.DefineField($"C{i}", columns[i].Type.Clr, FieldAttributes.Public);
        }
        builder.DefineDefaultConstructor(MethodAttributes.Public);
        var type = builder.CreateType();
        var fields = Enumerable.Range(0, columns.Count).Select(i => type.GetField($"C{i}")!).ToArray();
        var schema = SchemaDefinition.Create(type);
        for (var i = 0; i < columns.Count; i++)
        {
            var column = schema.First(c => c.MemberName == $"C{i}");
            column.ColumnName = columns[i].Name;
            column.ColumnType = columns[i].Type.DataView;
        }
        return new RowType(type, fields, schema);
    }
}
