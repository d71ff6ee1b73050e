#ifndef IPCMESSAGEMODEL_H
#define IPCMESSAGEMODEL_H

#include "socketipcglobal.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qdatetime.h>

#include <memory>

class IpcMessageModelPrivate;

// A log of the messages an IpcServer or IpcClient (the source) receives, oldest first, for
// a ListView or a QListView. Keeps at most maxCount rows, dropping the oldest.
class SOCKETIPC_EXPORT IpcMessageModel : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcMessageModel)
    Q_PROPERTY(QObject *source READ source WRITE setSource NOTIFY sourceChanged)
    // Only this topic's messages, or those matching it when it is a pattern (see IpcTopic);
    // empty (the default) for all. A new filter applies to messages that arrive afterwards:
    // rows already logged stay (clear() them, or filter a proxy model, to re-filter).
    Q_PROPERTY(QString topic READ topic WRITE setTopic NOTIFY topicChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    // 0 for no limit.
    Q_PROPERTY(int maxCount READ maxCount WRITE setMaxCount NOTIFY maxCountChanged)
public:
    enum Role {
        TopicRole = Qt::UserRole + 1,
        MessageRole,
        ClientIdRole,   // the sender, when the source is a server
        TimestampRole,  // when it was received, a QDateTime
    };
    Q_ENUM(Role)

    static constexpr int DefaultMaxCount = 1000;

    explicit IpcMessageModel(QObject *parent = nullptr);
    ~IpcMessageModel() override;

    QObject *source() const;
    void setSource(QObject *source);
    QString topic() const;
    void setTopic(const QString &topic);
    int count() const;
    int maxCount() const;
    void setMaxCount(int maxCount);

    // One row as a map with the role names as keys ("topic", "message", ...).
    Q_INVOKABLE QVariantMap get(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

public Q_SLOTS:
    void clear();

Q_SIGNALS:
    void sourceChanged();
    void topicChanged();
    void countChanged();
    void maxCountChanged();

private:
    friend class IpcMessageModelPrivate;
    std::unique_ptr<IpcMessageModelPrivate> d;
};

#endif  // IPCMESSAGEMODEL_H
