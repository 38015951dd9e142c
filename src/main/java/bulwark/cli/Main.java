package bulwark.cli;
public class Main { public static void main(String[] a) { System.out.println(io.vertx.core.Vertx.class); } }
