package bulwark.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;

/**
 * What binding and printing need of one config record class, read by reflection once per class:
 * {@link Class#getRecordComponents} builds new component objects on every call, and their {@link
 * Doc} annotations are parsed again each time, which made binding a 10,000-route config spend a
 * third of its time there (bench/fleet.sh's profile).
 */
record RecordShape(
    List<String> keys,
    Doc[] docs,
    Class<?>[] types,
    Type[] genericTypes,
    Method[] accessors,
    Constructor<?> constructor,
    boolean hasRequired) {

  private static final ClassValue<RecordShape> SHAPES =
      new ClassValue<>() {
        @Override
        protected RecordShape computeValue(Class<?> type) {
          return read(type);
        }
      };

  static RecordShape of(Class<?> recordType) {
    return SHAPES.get(recordType);
  }

  int size() {
    return types.length;
  }

  private static RecordShape read(Class<?> type) {
    RecordComponent[] comps = type.getRecordComponents();
    int n = comps.length;
    String[] keys = new String[n];
    Doc[] docs = new Doc[n];
    Class<?>[] types = new Class<?>[n];
    Type[] generic = new Type[n];
    Method[] accessors = new Method[n];
    boolean required = false;
    for (int i = 0; i < n; i++) {
      RecordComponent rc = comps[i];
      docs[i] = rc.getAnnotation(Doc.class);
      keys[i] = Binder.keyOf(rc);
      types[i] = rc.getType();
      generic[i] = rc.getGenericType();
      accessors[i] = rc.getAccessor();
      accessors[i].setAccessible(true);
      required |= docs[i] != null && docs[i].required();
    }
    try {
      Constructor<?> ctor = type.getDeclaredConstructor(types);
      ctor.setAccessible(true);
      return new RecordShape(List.of(keys), docs, types, generic, accessors, ctor, required);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("no canonical constructor in " + type.getSimpleName(), e);
    }
  }
}
