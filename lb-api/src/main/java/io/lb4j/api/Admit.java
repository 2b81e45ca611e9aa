package io.lb4j.api;

/** The decision that lets a connection go on. Obtain it from {@link Decision#admit()}. */
public record Admit() implements Decision {

  static final Admit INSTANCE = new Admit();

  /** Returns true. */
  @Override
  public boolean admitted() {
    return true;
  }
}
